// Kernel command-line parsing, mirroring next_arg()/parse_args() in
// kernel/params.c and the comma-list loops of the iommu handlers.

export interface CmdlineParam {
  /** Position among the kernel parameters. */
  index: number;
  /** The token as written. */
  raw: string;
  /** Text before the first "=", quotes removed. */
  name: string;
  /** name with "-" read as "_": parameq() treats them alike. */
  key: string;
  /** Text after the first "=", quotes removed; null without "=". */
  value: string | null;
}

export interface ParsedCmdline {
  /** Kernel parameters, in order. */
  params: CmdlineParam[];
  /** Everything after a bare "--": handed to init, never parsed by the kernel. */
  initArgs: string[];
}

export interface SubOption {
  text: string;
  /** The rest of the list from this sub-option on, as intel_iommu_setup() prints it. */
  rest: string;
}

/** Splits on blanks outside double quotes, like next_arg(). */
function tokenize(cmdline: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inQuote = false;
  for (const ch of cmdline) {
    if (/\s/.test(ch) && !inQuote) {
      if (current !== '') tokens.push(current);
      current = '';
      continue;
    }
    if (ch === '"') inQuote = !inQuote;
    current += ch;
  }
  if (current !== '') tokens.push(current);
  return tokens;
}

function unquote(text: string): string {
  return text.startsWith('"') ? text.slice(1).replace(/"$/, '') : text;
}

function toParam(raw: string, index: number): CmdlineParam {
  const token = unquote(raw);
  const eq = token.indexOf('=');
  const name = eq < 0 ? token : token.slice(0, eq);
  const value = eq < 0 ? null : unquote(token.slice(eq + 1));
  return { index, raw, name, key: name.replaceAll('-', '_'), value };
}

export function parseCmdline(cmdline: string): ParsedCmdline {
  const tokens = tokenize(cmdline);
  const end = tokens.indexOf('--');
  const kernelTokens = end < 0 ? tokens : tokens.slice(0, end);
  return {
    params: kernelTokens.map(toParam),
    initArgs: end < 0 ? [] : tokens.slice(end + 1),
  };
}

/** Comma list as walked by intel_iommu_setup() and the x86 iommu_setup(): empty entries do nothing. */
export function splitSubOptions(value: string): SubOption[] {
  const options: SubOption[] = [];
  let offset = 0;
  for (const text of value.split(',')) {
    if (text !== '') options.push({ text, rest: value.slice(offset) });
    offset += text.length + 1;
  }
  return options;
}

/**
 * kstrtobool() in lib/kstrtox.c: only the first one or two characters count.
 * Returns null where the kernel returns -EINVAL.
 */
export function kstrtobool(s: string | null, acceptTrueFalse: boolean): boolean | null {
  if (s === null || s === '') return null;
  const first = s.charAt(0).toLowerCase();
  if (first === 'y' || first === '1' || (acceptTrueFalse && first === 't')) return true;
  if (first === 'n' || first === '0' || (acceptTrueFalse && first === 'f')) return false;
  if (first === 'o') {
    const second = s.charAt(1).toLowerCase();
    if (second === 'n') return true;
    if (second === 'f') return false;
  }
  return null;
}

export function kstrtoboolForms(acceptTrueFalse: boolean): string {
  return acceptTrueFalse ? '1/0, y/n, on/off, true/false' : '1/0, y/n, on/off';
}

/** Tokens worth reporting when ignored: iommu* and intel_iommu*. */
export function isIommuParam(param: CmdlineParam): boolean {
  return param.key.startsWith('iommu') || param.key.startsWith('intel_iommu');
}
