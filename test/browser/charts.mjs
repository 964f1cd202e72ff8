// Opens each report chart (an .svg in the directory given first) in headless Chromium,
// screenshots it into the directory given second, and checks that it rendered: the
// document is the chart at 800×450, its title is in the DOM, every bar and point has a
// <title>, the screenshot is 800×450, and the drawing is not blank (enough pixels that
// are not the white background, in several colours). Run by `make test-browser`.
import { chromium } from 'playwright-core';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [charts, shots] = process.argv.slice(2).map((p) => resolve(p));
if (!charts || !shots) {
  console.error('usage: node charts.mjs <directory of .svg charts> <directory for screenshots>');
  process.exit(2);
}
const expected = {
  'channel-shift': 'Contacts by channel',
  resolution: 'Resolution at first contact, self-service and hand-offs',
  avoidable: 'Avoidable contacts',
  'cost-to-serve': 'Cost to serve by channel',
  routing: 'Contacts by the tier they were routed to',
  'landlord-takeup': 'Landlord portal take-up',
};

// The PNG header holds the image's width and height (IHDR, bytes 16–23).
function pngSize(buf) {
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--no-first-run', '--disable-gpu'],
});
const failures = [];
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 450 } });
  const found = readdirSync(charts).filter((f) => f.endsWith('.svg')).map((f) => f.slice(0, -4)).sort();
  for (const name of Object.keys(expected)) {
    if (!found.includes(name)) failures.push(`${name}: no ${name}.svg in ${charts}`);
  }
  for (const name of found) {
    const file = join(charts, `${name}.svg`);
    await page.goto(pathToFileURL(file).href);
    const dom = await page.evaluate(() => {
      const svg = document.documentElement;
      const box = svg.getBoundingClientRect();
      return {
        root: svg.tagName,
        width: box.width,
        height: box.height,
        title: document.getElementById('chart-title')?.textContent ?? '',
        desc: document.getElementById('chart-desc')?.textContent ?? '',
        marks: svg.querySelectorAll('rect > title, circle > title, polygon > title').length,
        legend: svg.querySelectorAll('[aria-label="Legend"] text').length,
      };
    });
    const shot = await page.screenshot({ path: join(shots, `reports-${name}.png`), clip: { x: 0, y: 0, width: 800, height: 450 } });
    // Draw the chart into a canvas and count what is not background.
    const svgText = readFileSync(file, 'utf8');
    const ink = await page.evaluate(async (src) => {
      const img = document.createElementNS('http://www.w3.org/1999/xhtml', 'img');
      img.src = 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(src)));
      await img.decode();
      const canvas = document.createElementNS('http://www.w3.org/1999/xhtml', 'canvas');
      canvas.width = 800; canvas.height = 450;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      const px = g.getImageData(0, 0, 800, 450).data;
      let inked = 0; const colours = new Set();
      for (let i = 0; i < px.length; i += 4) {
        if (px[i] < 240 || px[i + 1] < 240 || px[i + 2] < 240) {
          inked++;
          colours.add(`${px[i] >> 5},${px[i + 1] >> 5},${px[i + 2] >> 5}`);
        }
      }
      return { share: inked / (800 * 450), colours: colours.size };
    }, svgText);
    const size = pngSize(shot);
    const problems = [];
    if (dom.root.toLowerCase() !== 'svg') problems.push(`document is <${dom.root}>, not <svg>`);
    if (dom.width !== 800 || dom.height !== 450) problems.push(`rendered ${dom.width}×${dom.height}, want 800×450`);
    if (size.width !== 800 || size.height !== 450) problems.push(`screenshot ${size.width}×${size.height}`);
    if (expected[name] && dom.title !== expected[name]) problems.push(`title "${dom.title}", want "${expected[name]}"`);
    if (!dom.desc) problems.push('no description');
    if (dom.marks < 4) problems.push(`only ${dom.marks} bars or points carry a <title>`);
    if (dom.legend < 2) problems.push(`legend has ${dom.legend} entries`);
    if (ink.share < 0.03 || ink.colours < 4) problems.push(`looks blank: ${(ink.share * 100).toFixed(1)}% inked in ${ink.colours} colours`);
    const line = `${name}: "${dom.title}", ${dom.marks} titled marks, ${(ink.share * 100).toFixed(1)}% inked in ${ink.colours} colours`;
    if (problems.length) failures.push(`${line}: ${problems.join('; ')}`);
    else console.log(`ok   ${line}`);
  }
} finally {
  await browser.close();
}
if (failures.length) {
  for (const f of failures) console.error(`FAIL ${f}`);
  process.exit(1);
}
