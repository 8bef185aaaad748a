import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveStateDir } from '../../../src/adapters/store/state-dir.js';

describe('resolveStateDir', () => {
  const home = '/home/ops';
  it('--state-dir wins, then UPKEEP_STATE_DIR, both made absolute from the working directory', () => {
    assert.equal(resolveStateDir({ UPKEEP_STATE_DIR: '/srv/env' }, true, { flag: '/srv/flag' }), '/srv/flag');
    assert.equal(resolveStateDir({ UPKEEP_STATE_DIR: '/srv/env' }, true), '/srv/env');
    assert.equal(resolveStateDir({ UPKEEP_STATE_DIR: 'rel/state' }, false, { cwd: '/opt/x' }), '/opt/x/rel/state');
    assert.equal(resolveStateDir({ UPKEEP_STATE_DIR: '  ' }, true), '/var/lib/upkeep', 'an empty override is no override');
  });

  it('root uses /var/lib/upkeep', () => {
    assert.equal(resolveStateDir({ XDG_STATE_HOME: '/x', HOME: home }, true), '/var/lib/upkeep');
  });

  it('other users use $XDG_STATE_HOME/upkeep, else ~/.local/state/upkeep; a relative XDG_STATE_HOME is ignored', () => {
    assert.equal(resolveStateDir({ XDG_STATE_HOME: '/home/ops/.state', HOME: home }, false), '/home/ops/.state/upkeep');
    assert.equal(resolveStateDir({ HOME: home }, false), '/home/ops/.local/state/upkeep');
    assert.equal(resolveStateDir({ XDG_STATE_HOME: 'relative', HOME: home }, false), '/home/ops/.local/state/upkeep');
    assert.equal(resolveStateDir({}, false, { home: '/h' }), '/h/.local/state/upkeep');
  });
});
