import { readFileSync } from 'node:fs';

/**
 * The chart library (uPlot, from npm) served to the browser as is. Read from
 * node_modules at start, so the broker needs no build step for it and the
 * page needs no CDN.
 */
export function consoleVendorAssets(): { uplotJs: string; uplotCss: string } {
  const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
  return { uplotJs: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'), uplotCss: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8') };
}
