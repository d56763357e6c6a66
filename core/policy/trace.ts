// Collects what a resolution explains: reasons, dmesg lines, ignored input, warnings.

import type { PolicyReason } from './types.ts';

export class Trace {
  readonly reasons: PolicyReason[] = [];
  readonly log: string[] = [];
  readonly warnings: string[] = [];
  private readonly ignoredAt: { index: number; text: string }[] = [];

  reason(source: string, text: string): void {
    this.reasons.push({ source, text });
  }

  /** A dmesg line; older kernels leave a blank before the newline, which dmesg readers never see. */
  print(line: string): void {
    this.log.push(line.trimEnd());
  }

  warn(text: string): void {
    this.warnings.push(text);
  }

  /** Ignored input at a command-line position; reported in command-line order. */
  ignore(index: number, text: string): void {
    this.ignoredAt.push({ index, text });
  }

  get ignored(): string[] {
    return [...this.ignoredAt].sort((a, b) => a.index - b.index).map((entry) => entry.text);
  }
}
