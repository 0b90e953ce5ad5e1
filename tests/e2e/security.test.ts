import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, watchPage, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness?.close();
});

describe('security headers in a real browser', () => {
  it('serves a strict Content-Security-Policy and cross-origin isolation, and the page runs under them', async () => {
    const page = await harness.browser.newPage();
    const watch = watchPage(page, new URL(harness.url).origin);
    const response = await page.goto(harness.url);
    const headers = response?.headers() ?? {};
    const policy = headers['content-security-policy'] ?? '';
    const directives = new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    // No inline script and no eval: only WebAssembly compilation is allowed beyond our own files.
    expect(directives.get('script-src')).not.toContain("'unsafe-inline'");
    expect(directives.get('script-src')).not.toContain("'unsafe-eval'");
    for (const values of directives.values()) for (const value of values) expect(value).not.toMatch(/^(https?:|\*)/);
    expect(headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(headers['cross-origin-embedder-policy']).toBe('require-corp');
    // The built page carries the policy itself too, for hosts that drop headers.
    await expect(page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content')).resolves.toContain("default-src 'self'");

    await page.getByTestId('data-ready').waitFor({ timeout: 60_000 });
    await page.getByTestId('backend').waitFor({ timeout: 120_000 });
    // DevTools' own evaluation is exempt from the policy, so the probe plants code the page itself would run:
    // an inline script and a string timer (eval). Both must be refused and reported (once per policy: the
    // header and the page's meta element both enforce it).
    const probe = await page.evaluate(async () => {
      const flags = window as unknown as Record<string, unknown>;
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.effectiveDirective} ${e.blockedURI}`));
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true';
      document.head.append(script);
      (setTimeout as unknown as (code: string, ms: number) => number)('window.__evalRan = true', 0);
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { inlineRan: flags.__inlineRan === true, evalRan: flags.__evalRan === true, violations: [...new Set(violations)].sort(), isolated: window.crossOriginIsolated };
    });
    expect(probe).toEqual({ inlineRan: false, evalRan: false, violations: ['script-src-elem inline', 'script-src eval'].sort(), isolated: true });
    // Those refusals (reported once per policy: header and meta) are the only errors Chromium may report.
    expect(watch.errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    expect(watch.foreignRequests).toEqual([]);
    await page.close();
  });
});
