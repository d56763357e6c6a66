// Hash routes: #/runs, #/runs/ID, #/new?from=ID&profile=NAME, #/compare?ids=a,b,
// #/benchmarks, #/benchmarks/NAME, #/profiles, #/profiles/NAME,
// #/calibrate?from=PROFILE|base=PROFILE|run=ID. The hash keeps the page loadable from
// file:// in the desktop shell and bookmarkable under `serve`.

export interface Route {
  /** Path segments after "#/", decoded. */
  segments: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const q = body.indexOf('?');
  const path = q >= 0 ? body.slice(0, q) : body;
  const query = new URLSearchParams(q >= 0 ? body.slice(q + 1) : '');
  const segments = path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  return { segments, query };
}

class Router {
  route = $state<Route>(parseHash(typeof location === 'undefined' ? '' : location.hash));

  constructor() {
    if (typeof window !== 'undefined') window.addEventListener('hashchange', () => (this.route = parseHash(location.hash)));
  }

  go(hash: string): void {
    if (location.hash === hash) this.route = parseHash(hash);
    else location.hash = hash;
  }
}

export const router = new Router();

export const links = {
  runs: '#/runs',
  run: (id: string) => `#/runs/${encodeURIComponent(id)}`,
  newRun: (from?: string, profile?: string) => withQuery('#/new', { from, profile }),
  /** `sets` opens the run-set comparison (seeds of two configurations) instead of run against run. */
  compare: (ids: readonly string[], mode: 'runs' | 'sets' = 'runs') => `#/compare?ids=${ids.map(encodeURIComponent).join(',')}${mode === 'sets' ? '&mode=sets' : ''}`,
  experiments: '#/experiments',
  experiment: (name: string) => `#/experiments/${encodeURIComponent(name)}`,
  benchmarks: '#/benchmarks',
  benchmark: (name: string) => `#/benchmarks/${encodeURIComponent(name)}`,
  profiles: '#/profiles',
  profile: (name: string) => `#/profiles/${encodeURIComponent(name)}`,
  /** from: refill from a fitted profile; base: start from a profile's costs; run: with this measured run as a point. */
  calibrate: (opts: { from?: string; base?: string; run?: string } = {}) => withQuery('#/calibrate', opts),
};

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const parts = Object.entries(query)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return parts.length ? `${path}?${parts.join('&')}` : path;
}
