/** Every channel against a real server on loopback: HTTP (node:http) and SMTP (smtp-server). */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { EmailNotifier } from '../../../src/adapters/notify/email.js';
import { DeliveryError, NtfyNotifier, SlackNotifier, WebhookNotifier, signBody, type AlertMessage } from '../../../src/adapters/notify/notifier.js';

const message: AlertMessage = {
  id: 'alert-42-firing',
  kind: 'firing',
  severity: 'critical',
  subject: 'covid-lapis',
  title: 'covid-lapis is down',
  text: 'exited 137 at 15:27; restart policy unless-stopped will not bring it back',
  host: 'wisepulse',
  at: '2025-11-20T15:31:00Z',
};

interface Received {
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('HTTP channels', () => {
  let server: Server;
  let base: string;
  const received: Received[] = [];
  let status = 200;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body });
        res.writeHead(status).end('x');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  test('webhook: JSON body, idempotency key, verifiable HMAC signature', async () => {
    received.length = 0;
    await new WebhookNotifier({ url: `${base}/hook`, secret: 's3cret' }).send(message);
    const r = received[0]!;
    const body = JSON.parse(r.body);
    assert.equal(body.id, 'alert-42-firing');
    assert.equal(body.version, 1);
    assert.equal(r.headers['idempotency-key'], 'alert-42-firing');
    assert.equal(r.headers['x-upkeep-signature'], `sha256=${signBody('s3cret', r.body)}`);
  });

  test('slack and ntfy formats', async () => {
    received.length = 0;
    await new SlackNotifier(`${base}/services/T/B/x`).send(message);
    await new NtfyNotifier({ url: `${base}/upkeep-alerts`, token: 'tk' }).send({ ...message, title: 'lapis down – ünïcode' });
    assert.match(JSON.parse(received[0]!.body).text, /^:red_circle: \*covid-lapis is down\* \(wisepulse\)\nexited 137/);
    assert.equal(received[1]!.url, '/upkeep-alerts');
    assert.equal(received[1]!.body, message.text);
    assert.equal(received[1]!.headers.priority, 'high');
    assert.equal(received[1]!.headers.authorization, 'Bearer tk');
    assert.equal(received[1]!.headers.title, 'lapis down ? ?n?code (wisepulse)');
  });

  test('errors: 5xx and 429 retryable, 4xx not, connection refused retryable', async () => {
    const hook = new WebhookNotifier({ url: `${base}/hook` });
    for (const [code, retryable] of [
      [500, true],
      [503, true],
      [429, true],
      [404, false],
      [400, false],
    ] as const) {
      status = code;
      await assert.rejects(hook.send(message), (e: unknown) => e instanceof DeliveryError && e.retryable === retryable && e.message.includes(String(code)));
    }
    status = 200;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dead = new WebhookNotifier({ url: `http://127.0.0.1:${closedPort}/hook` });
    await assert.rejects(dead.send(message), (e: unknown) => e instanceof DeliveryError && e.retryable && /ECONNREFUSED/.test(e.message));
  });
});

describe('email through a real SMTP server on loopback', () => {
  let smtp: SMTPServer;
  let port: number;
  const mails: Array<{ from: string; to: string[]; data: string }> = [];

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, cb) {
        if (address.address.endsWith('@rejected.invalid')) return cb(Object.assign(new Error('no such user'), { responseCode: 550 }));
        cb();
      },
      onData(stream, session, cb) {
        let data = '';
        stream.on('data', (c) => (data += c));
        stream.on('end', () => {
          mails.push({
            from: session.envelope.mailFrom ? (session.envelope.mailFrom as { address: string }).address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            data,
          });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    port = (smtp.server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => smtp.close(() => r())));

  test('delivers one mail with subject, body and message id', async () => {
    const email = new EmailNotifier({ host: '127.0.0.1', port, from: 'upkeep@wisepulse.example', to: ['ops@example.org'] });
    await email.send(message);
    email.close();
    assert.equal(mails.length, 1);
    assert.equal(mails[0]!.from, 'upkeep@wisepulse.example');
    assert.deepEqual(mails[0]!.to, ['ops@example.org']);
    assert.match(mails[0]!.data, /Subject: \[CRITICAL\] covid-lapis is down \(wisepulse\)/);
    assert.match(mails[0]!.data, /Message-ID: <alert-42-firing@upkeep>/i);
    assert.match(mails[0]!.data, /restart policy unless-stopped/);
  });

  test('a rejected recipient is a permanent failure; no server is retryable', async () => {
    const bad = new EmailNotifier({ host: '127.0.0.1', port, from: 'upkeep@x.example', to: ['nobody@rejected.invalid'] });
    await assert.rejects(bad.send(message), (e: unknown) => e instanceof DeliveryError && !e.retryable);
    bad.close();
    const none = new EmailNotifier({ host: '127.0.0.1', port: 1, from: 'upkeep@x.example', to: ['ops@example.org'] });
    await assert.rejects(none.send(message), (e: unknown) => e instanceof DeliveryError && e.retryable);
    none.close();
  });
});
