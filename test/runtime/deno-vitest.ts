/**
 * The subset of Vitest's API that test/conformance uses, on top of `Deno.test`, so the same
 * behavioural cases run unchanged on Deno (mapped to 'vitest' by deno.json's import map).
 * Assertions come from `expect`, the standalone package behind Jest's and Vitest's matchers.
 */
import { expect } from 'expect';

export { expect };

type Hook = () => unknown;
type Body = () => unknown;

interface Scope {
  name: string;
  parent: Scope | undefined;
  beforeAll: Hook[];
  afterAll: Hook[];
  beforeEach: Hook[];
  afterEach: Hook[];
  started: boolean;
  remaining: number;
}

const root: Scope = newScope('', undefined);
let current = root;

function newScope(name: string, parent: Scope | undefined): Scope {
  return {
    name,
    parent,
    beforeAll: [],
    afterAll: [],
    beforeEach: [],
    afterEach: [],
    started: false,
    remaining: 0,
  };
}

function chain(scope: Scope): Scope[] {
  const scopes: Scope[] = [];
  for (let s: Scope | undefined = scope; s; s = s.parent) scopes.unshift(s);
  return scopes;
}

export function describe(name: string, body: () => void): void {
  const scope = newScope(name, current);
  current = scope;
  try {
    body();
  } finally {
    current = scope.parent!;
  }
}

export function it(name: string, body: Body, timeout?: number): void {
  const scope = current;
  const scopes = chain(scope);
  for (const s of scopes) s.remaining++;
  const title = [...scopes.map((s) => s.name).filter(Boolean), name].join(' > ');
  Deno.test({
    name: title,
    // Workers and wasm instances outlive single cases by design; the pool tests check cleanup.
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      for (const s of scopes) {
        if (!s.started) {
          s.started = true;
          for (const hook of s.beforeAll) await hook();
        }
      }
      try {
        for (const s of scopes) for (const hook of s.beforeEach) await hook();
        await withTimeout(body, timeout ?? 60_000, title);
        for (const s of scopes.toReversed()) for (const hook of s.afterEach) await hook();
      } finally {
        for (const s of scopes.toReversed()) {
          if (--s.remaining === 0) for (const hook of s.afterAll) await hook();
        }
      }
    },
  });
}

export const test = it;

export function beforeAll(hook: Hook): void {
  current.beforeAll.push(hook);
}
export function afterAll(hook: Hook): void {
  current.afterAll.push(hook);
}
export function beforeEach(hook: Hook): void {
  current.beforeEach.push(hook);
}
export function afterEach(hook: Hook): void {
  current.afterEach.push(hook);
}

async function withTimeout(body: Body, ms: number, title: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${title}: timed out after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([body(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
