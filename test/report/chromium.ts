/**
 * Opens a file in Debian's chromium through playwright-core (a new empty profile, the project's launch flags),
 * collects console errors, failed and non-file requests, chart figures and their drawn elements, and writes a
 * full-page screenshot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface PageCheck {
  consoleErrors: string[];
  pageErrors: string[];
  foreignRequests: string[];
  /** per chart figure: its size, the series it declares, and the data marks drawn */
  charts: { id: string; width: number; height: number; series: number; marks: number }[];
  title: string;
  /** what `inspect` returned */
  extra?: unknown;
}

/** `inspect` runs on the loaded page after the standard checks (and before the screenshot). */
export async function openInChromium(file: string, screenshot: string, inspect?: (page: Page) => Promise<unknown>): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'nh-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = await ctx.newPage();
    const out: PageCheck = { consoleErrors: [], pageErrors: [], foreignRequests: [], charts: [], title: '' };
    page.on('console', (m) => {
      if (m.type() === 'error') out.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => out.pageErrors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) out.foreignRequests.push(r.url());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    out.title = await page.title();
    out.charts = await page.$$eval('figure.chart', (figs) =>
      figs.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        // ECharts' SSR tags each data mark (bar, line, symbol) with ecmeta_ssr_type="chart"; axes, grid, legend are not
        const marks = svg
          ? [...svg.querySelectorAll('[ecmeta_ssr_type="chart"]')].filter((p) => {
              const r = p.getBoundingClientRect();
              return r.width + r.height > 0;
            }).length
          : 0;
        const el = f as unknown as { dataset: Record<string, string | undefined> };
        return {
          id: el.dataset.chart ?? '',
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          series: Number(el.dataset.series ?? 0),
          marks,
        };
      }),
    );
    if (inspect) out.extra = await inspect(page);
    await page.screenshot({ path: screenshot, fullPage: true });
    return out;
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
