// One endpoint's circuit. Closed: requests flow and outcomes are counted. Open: requests are refused
// without touching the network until the cool-down has passed. Half-open: exactly one probe goes through;
// its success closes the circuit, its failure opens it again for another cool-down.
// Pure state: the caller supplies the clock, so tests can move time instead of sleeping.

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  /** Failures in a row that open the circuit. Default 5. */
  failureThreshold?: number;
  /** Share of failures among the last `windowSize` outcomes that opens the circuit. Default 0.5. */
  failureRatio?: number;
  /** Outcomes remembered for the ratio. Default 20. */
  windowSize?: number;
  /** The ratio is not judged on fewer outcomes than this. Default 10. */
  minimumRequests?: number;
  /** Time an open circuit waits before letting a probe through. Default 5000 ms. */
  cooldownMs?: number;
}

export interface StateChange {
  endpoint: string;
  from: CircuitState;
  to: CircuitState;
  reason: string;
}

export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #consecutive = 0;
  #window: boolean[] = [];
  #openedAt = 0;
  #probeInFlight = false;
  readonly #o: Required<BreakerOptions>;

  constructor(readonly endpoint: string, options: BreakerOptions, private readonly onChange: (c: StateChange) => void) {
    this.#o = { failureThreshold: 5, failureRatio: 0.5, windowSize: 20, minimumRequests: 10, cooldownMs: 5000, ...options };
  }

  get state(): CircuitState {
    return this.#state;
  }

  /** Milliseconds until `tryAcquire` can succeed; 0 when it can now. Changes nothing. */
  waitMs(now: number): number {
    if (this.#state === 'closed') return 0;
    if (this.#state === 'half-open') return this.#probeInFlight ? this.#o.cooldownMs : 0;
    return Math.max(0, this.#openedAt + this.#o.cooldownMs - now);
  }

  /** Takes permission for one request. An open circuit past its cool-down turns half-open and gives out the probe. */
  tryAcquire(now: number): boolean {
    if (this.waitMs(now) > 0) return false;
    if (this.#state === 'open') this.#move('half-open', 'cool-down elapsed');
    if (this.#state === 'half-open') this.#probeInFlight = true;
    return true;
  }

  success(): void {
    this.#probeInFlight = false;
    if (this.#state === 'half-open') {
      this.#reset();
      this.#move('closed', 'probe succeeded');
      return;
    }
    this.#consecutive = 0;
    this.#remember(false);
  }

  failure(now: number, reason: string): void {
    this.#probeInFlight = false;
    if (this.#state === 'half-open') {
      this.#open(now, `probe failed: ${reason}`);
      return;
    }
    if (this.#state === 'open') return;
    this.#consecutive += 1;
    this.#remember(true);
    const failures = this.#window.filter(Boolean).length;
    if (this.#consecutive >= this.#o.failureThreshold) {
      this.#open(now, `${this.#consecutive} failures in a row, last: ${reason}`);
    } else if (this.#window.length >= this.#o.minimumRequests && failures / this.#window.length >= this.#o.failureRatio) {
      this.#open(now, `${failures} of the last ${this.#window.length} requests failed, last: ${reason}`);
    }
  }

  /** The request ended without saying anything about the endpoint (the caller aborted): frees the probe. */
  release(): void {
    this.#probeInFlight = false;
  }

  #open(now: number, reason: string): void {
    this.#reset();
    this.#openedAt = now;
    this.#move('open', reason);
  }

  #reset(): void {
    this.#consecutive = 0;
    this.#window = [];
  }

  #remember(failed: boolean): void {
    this.#window.push(failed);
    if (this.#window.length > this.#o.windowSize) this.#window.shift();
  }

  #move(to: CircuitState, reason: string): void {
    const from = this.#state;
    this.#state = to;
    this.onChange({ endpoint: this.endpoint, from, to, reason });
  }
}
