/**
 * Turns a growing list of token ids into text to emit, holding back what might still become a
 * stop string (so a stop string split across tokens stops and is never shown) and incomplete
 * UTF-8 sequences (shown once their last byte arrives).
 */
export class TextAssembler {
  private readonly ids: number[] = [];
  private emitted = '';
  private readonly maxStop: number;

  constructor(
    private readonly decode: (ids: readonly number[]) => string,
    private readonly stops: readonly string[],
  ) {
    this.maxStop = Math.max(0, ...stops.map((s) => s.length));
  }

  /** Adds a token; returns the new text that is safe to show, and whether a stop string appeared. */
  push(id: number): { text: string; stopped: boolean } {
    this.ids.push(id);
    const full = this.decode(this.ids);
    const from = Math.max(0, this.emitted.length - this.maxStop);
    let cut = -1;
    for (const s of this.stops) {
      const at = full.indexOf(s, from);
      if (at >= 0 && (cut < 0 || at < cut)) cut = at;
    }
    if (cut >= 0) return { text: this.take(full.slice(0, Math.max(cut, this.emitted.length))), stopped: true };
    let safe = full.endsWith('\uFFFD') ? full.length - 1 : full.length;
    for (const s of this.stops) {
      for (let k = Math.min(s.length - 1, safe); k > 0; k--) {
        if (full.slice(safe - k, safe) === s.slice(0, k)) {
          safe -= k;
          break;
        }
      }
    }
    return { text: this.take(full.slice(0, Math.max(safe, this.emitted.length))), stopped: false };
  }

  /** Whatever was held back, at the end of generation (an unfinished stop-string prefix). */
  flush(): string {
    const full = this.decode(this.ids);
    return this.take(full.startsWith(this.emitted) ? full : this.emitted);
  }

  get text(): string {
    return this.emitted;
  }

  private take(upTo: string): string {
    const add = upTo.slice(this.emitted.length);
    this.emitted = upTo;
    return add;
  }
}
