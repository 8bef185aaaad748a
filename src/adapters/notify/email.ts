/** Email over SMTP (nodemailer). */
import nodemailer, { type Transporter } from 'nodemailer';
import { DeliveryError, type AlertMessage, type Notifier } from './notifier.js';

export interface EmailOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 465). STARTTLS is used when the server offers it unless `requireTls` is false. */
  secure?: boolean;
  user?: string;
  password?: string;
  from: string;
  to: string[];
  /** For tests and private relays with self-signed certificates. */
  allowInsecureTls?: boolean;
}

export class EmailNotifier implements Notifier {
  readonly groups = true;
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly opts: EmailOptions) {
    this.transport = nodemailer.createTransport({
      host: opts.host,
      port: opts.port,
      secure: opts.secure ?? false,
      auth: opts.user ? { user: opts.user, pass: opts.password ?? '' } : undefined,
      tls: opts.allowInsecureTls ? { rejectUnauthorized: false } : undefined,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
  }

  async send(message: AlertMessage): Promise<void> {
    const prefix =
      message.kind === 'resolved' ? '[RESOLVED]' : message.kind === 'summary' || message.kind === 'notice' ? '[upkeep]' : `[${message.severity.toUpperCase()}]`;
    try {
      await this.transport.sendMail({
        from: this.opts.from,
        to: this.opts.to,
        subject: `${prefix} ${message.title} (${message.host})`,
        text: `${message.text}\n\nHost: ${message.host}\nAt: ${message.at}\nSubject: ${message.subject}\n`,
        messageId: `<${message.id}@upkeep>`,
        headers: { 'X-Upkeep-Id': message.id },
      });
    } catch (err) {
      const e = err as { responseCode?: number; message: string };
      // 5xx SMTP replies are permanent (bad recipient, rejected); everything else may pass later.
      const permanent = typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
      throw new DeliveryError(`SMTP ${this.opts.host}:${this.opts.port}: ${e.message}`, !permanent);
    }
  }

  close(): void {
    this.transport.close();
  }
}
