// Outgoing change notifications (webhooks) with retries, as the real systems send them:
// at-least-once, retried on failure with growing delays, possibly out of order.

export interface WebhookMessage {
  /** Raw body, exactly as signed and sent. */
  body: string;
  contentType: string;
  /** Extra headers that do not depend on the moment of sending (e.g. SOAPAction). */
  headers?: Record<string, string>;
  /** A label for the delivery log ('customer.updated', 'Account' …). */
  label: string;
}

export interface DeliveryAttempt {
  at: string;
  status: number | null;
  error: string | null;
}

export interface Delivery {
  id: number;
  label: string;
  url: string;
  body: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: DeliveryAttempt[];
}

export interface NotifierOptions {
  /** Signature headers for a body at the moment of sending. */
  sign: (body: string, now: Date) => Record<string, string>;
  /**
   * Delays before each retry, in ms. The real systems retry over hours or days; the sandbox
   * keeps their shape on a shorter clock. After the last one the delivery is marked failed.
   */
  retryDelaysMs: readonly number[];
  /** Whether an answer counts as accepted (default: any 2xx). Salesforce also wants an Ack. */
  accepted?: (status: number, body: string) => boolean;
  timeoutMs?: number;
  concurrency?: number;
  maxLog?: number;
}

export class WebhookNotifier {
  #target: string | null = null;
  #deliveries: Delivery[] = [];
  #queue: { delivery: Delivery; message: WebhookMessage; dueAt: number }[] = [];
  #inFlight = 0;
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  readonly #options: Required<Omit<NotifierOptions, 'accepted'>> & Pick<NotifierOptions, 'accepted'>;

  constructor(options: NotifierOptions) {
    this.#options = { timeoutMs: 10_000, concurrency: 4, maxLog: 10_000, ...options };
  }

  get target(): string | null {
    return this.#target;
  }

  setTarget(url: string | null): void {
    if (url !== null) {
      const parsed = new URL(url); // throws TypeError on a malformed URL
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
        throw new TypeError(`webhook url must be http(s), got ${parsed.protocol}`);
      }
    }
    this.#target = url;
  }

  /** Queues a notification for the current target; does nothing while no target is set. */
  enqueue(message: WebhookMessage): Delivery | null {
    if (this.#target === null || this.#closed) return null;
    const delivery: Delivery = {
      id: ++this.#seq,
      label: message.label,
      url: this.#target,
      body: message.body,
      state: 'pending',
      attempts: [],
    };
    this.#deliveries.push(delivery);
    if (this.#deliveries.length > this.#options.maxLog) {
      this.#deliveries.splice(0, this.#deliveries.length - this.#options.maxLog);
    }
    this.#queue.push({ delivery, message, dueAt: Date.now() });
    this.#pump();
    return delivery;
  }

  deliveries(): Delivery[] {
    return this.#deliveries.map((d) => ({ ...d, attempts: [...d.attempts] }));
  }

  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Resolves when nothing is queued or in flight (retries waiting count as queued). */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const q of this.#queue) q.delivery.state = 'failed';
    this.#queue = [];
    this.#notifyIdle();
  }

  #notifyIdle(): void {
    if (this.pending !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    if (this.#closed) return;
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const now = Date.now();
    this.#queue.sort((a, b) => a.dueAt - b.dueAt);
    while (this.#inFlight < this.#options.concurrency && this.#queue.length > 0 && this.#queue[0]!.dueAt <= now) {
      const item = this.#queue.shift()!;
      this.#inFlight++;
      void this.#attempt(item.delivery, item.message).finally(() => {
        this.#inFlight--;
        this.#pump();
        this.#notifyIdle();
      });
    }
    const next = this.#queue[0];
    if (next && this.#inFlight < this.#options.concurrency) {
      this.#timer = setTimeout(() => this.#pump(), Math.max(0, next.dueAt - Date.now()));
      this.#timer.unref();
    }
  }

  async #attempt(delivery: Delivery, message: WebhookMessage): Promise<void> {
    const at = new Date();
    let status: number | null = null;
    let error: string | null = null;
    let ok = false;
    try {
      const res = await fetch(delivery.url, {
        method: 'POST',
        headers: { 'content-type': message.contentType, 'user-agent': 'meridian-sandbox', ...message.headers, ...this.#options.sign(message.body, at) },
        body: message.body,
        signal: AbortSignal.timeout(this.#options.timeoutMs),
      });
      status = res.status;
      const text = await res.text();
      ok = this.#options.accepted ? this.#options.accepted(res.status, text) : res.status >= 200 && res.status < 300;
      if (!ok) error = `not accepted: HTTP ${res.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    delivery.attempts.push({ at: at.toISOString(), status, error });
    if (ok) {
      delivery.state = 'delivered';
      return;
    }
    const retryIndex = delivery.attempts.length - 1;
    const delay = this.#options.retryDelaysMs[retryIndex];
    if (delay === undefined || this.#closed) {
      delivery.state = 'failed';
      return;
    }
    this.#queue.push({ delivery, message, dueAt: Date.now() + delay });
  }
}
