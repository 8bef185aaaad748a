/**
 * The order of names in every list upkeep prints or plans by (containers, files, rules, timestamps):
 * the order `String#localeCompare` gives ASCII text under ICU's root collation, without ICU.
 *
 * Why not localeCompare or Intl.Collator: the first comparison loads ICU's collation data into the
 * process, about 3 MiB of the idle agent's resident memory (docs/benchmarks.md), and the order
 * would follow the host's ICU build and locale. This one is the same on every host.
 *
 * The order: characters compare by class first (control characters, space, then punctuation in ICU's order `_ - , ; : !
 * ? . ' " ( ) [ ] { } @ * / \ & # % ` ^ + < = > | ~ $`, then digits, then letters without regard to
 * case, then anything outside ASCII by code point); a string that is a prefix of another comes
 * first; names equal so far differ by case with lowercase first (`a` < `A`), and the code units
 * decide the rest, so two different strings never compare equal.
 */

const PUNCTUATION = '_-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$';

/** Primary weight of each ASCII code unit (0..127). */
const WEIGHT: readonly number[] = (() => {
  const w: number[] = [];
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    const p = PUNCTUATION.indexOf(ch);
    if (c >= 0x61 && c <= 0x7a) w.push(300 + (c - 0x61));
    else if (c >= 0x41 && c <= 0x5a) w.push(300 + (c - 0x41));
    else if (c >= 0x30 && c <= 0x39) w.push(200 + (c - 0x30));
    else if (p !== -1) w.push(100 + p);
    else if (c === 0x20) w.push(50);
    else w.push(c); // control characters (tab, newline, ...): first, by code
  }
  return w;
})();

function weight(unit: number): number {
  return unit < 128 ? WEIGHT[unit]! : 1000 + unit;
}

/** Negative, zero or positive, as `a` sorts before, equal to or after `b`; zero only when a === b. */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = weight(a.charCodeAt(i)) - weight(b.charCodeAt(i));
    if (d !== 0) return d;
  }
  if (a.length !== b.length) return a.length - b.length;
  // Equal but for case: the first difference decides, lowercase first.
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return x >= 0x61 && x <= 0x7a ? -1 : y >= 0x61 && y <= 0x7a ? 1 : x - y;
  }
  return 0;
}
