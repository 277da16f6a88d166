// The real-shop suite's screens (tests/realshop/run.sh runs this file): WooCommerce's own
// settings screen with every mapping read from the Nordlys company, saved and read back; Test connection with the
// good and a wrong secret; the secret cleared and set again; the orders list's Visma column; the queue page; the
// reconciliation screen; two failed orders: the admin notice, the failure e-mail, Send again in the order's box,
// Replay all on the queue page; Site Health; Test connection with a wrong company. Real WordPress 6.9 +
// WooCommerce 9.9.5 in Debian's headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// playwright-core from the stand-in suite's browser folder (npm install there; run.sh does it when missing).
import { chromium } from '../wordpress/browser/node_modules/playwright-core/index.mjs';

const SITE = process.env.ML_WP_URL;
const SETTINGS = `${SITE}/wp-admin/admin.php?page=wc-settings&tab=integration&section=ml_connector`;
let browser;
let page;

async function save(fields) {
  await page.goto(SETTINGS);
  for (const [name, value] of Object.entries(fields)) {
    const input = page.locator(`[name="ml_connector_${name}"]`);
    if ((await input.evaluate((el) => el.tagName)) === 'SELECT') {
      await input.selectOption(value);
    } else if ((await input.getAttribute('type')) === 'checkbox') {
      await (value ? input.check() : input.uncheck());
    } else {
      await input.fill(value);
    }
  }
  await Promise.all([page.waitForNavigation(), page.click('button[name="save"]')]);
}

async function testConnection() {
  await page.goto(SETTINGS);
  await Promise.all([page.waitForNavigation(), page.click('#ml-connector-test-connection')]);
  return page.textContent('#ml-connector-test-result');
}

before(async () => {
  assert.ok(SITE, 'ML_WP_URL: tests/realshop/run.sh sets it');
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
  page = await browser.newPage();
  await page.goto(`${SITE}/wp-login.php`);
  await page.fill('#user_login', 'admin');
  await page.fill('#user_pass', 'Admin-2026!');
  await Promise.all([page.waitForNavigation(), page.click('#wp-submit')]);
  assert.match(page.url(), /wp-admin/);
});

after(async () => {
  await browser?.close();
});

test('every mapping lists the company ids, is saved and read back', async () => {
  await page.goto(SETTINGS);
  // Options come from the Nordlys company (none of these exist in the simulator's default company).
  for (const [name, id] of [['account_shipping', '3701'], ['vat_export', 'E'], ['payment_method_cod', 'ETTERKRAV'],
    ['cash_account_bacs', '1921'], ['customer_class', 'DOM'], ['subaccount_item_1', '21'], ['branch', '2']]) {
    assert.equal(await page.locator(`[name="ml_connector_${name}"] option[value="${id}"]`).count(), 1, `${name} offers ${id}`);
  }
  await save({ account_fee: '3701', subaccount_fee_1: '21', customer_class_foreign: 'DOM', release: 'hold' });
  await page.goto(SETTINGS);
  assert.equal(await page.inputValue('[name="ml_connector_account_fee"]'), '3701');
  assert.equal(await page.inputValue('[name="ml_connector_subaccount_fee_1"]'), '21');
  assert.equal(await page.inputValue('[name="ml_connector_customer_class_foreign"]'), 'DOM');
  assert.equal(await page.inputValue('[name="ml_connector_release"]'), 'hold');
  await save({ account_fee: '3711', subaccount_fee_1: '11', customer_class_foreign: 'INT', release: 'auto' });
  await page.goto(SETTINGS);
  assert.equal(await page.inputValue('[name="ml_connector_account_fee"]'), '3711');
});

test('Test connection: the company with the good secret, the reason with a wrong one, the secret cleared', async () => {
  assert.match(await testConnection(), /Connected to 7654321 \(Nordlys\): \d+ accounts and \d+ VAT categories found\./);
  await save({ visma_client_secret: 'not-the-secret' });
  assert.match(await testConnection(), /Connection failed: .*invalid_client/);
  await save({ clear_secret: true });
  await page.goto(SETTINGS);
  assert.match(await page.content(), /No secret saved yet/);
  await save({ visma_client_secret: 'nordlys-secret' });
  assert.match(await testConnection(), /Connected to 7654321/);
});

/** Looks at `url` again (the shop's own runner sends in the background) until `selector`'s text matches. */
async function eventually(url, selector, pattern) {
  let text = '';
  for (let i = 0; i < 60 && !pattern.test(text); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    await page.goto(url);
    text = (await page.locator(selector).first().textContent().catch(() => '')) || '';
  }
  return text;
}

test('two failed orders: the notice, the e-mail, Send again, Replay all, and the notice goes', async () => {
  const [first, second] = (process.env.ML_FAILED_ORDERS || '').split(',');
  assert.ok(first && second, 'ML_FAILED_ORDERS: run.sh places two orders that fail');
  await page.goto(`${SITE}/wp-admin/`);
  assert.match(await page.textContent('#ml-connector-failures'), /2 documents could not be sent to Visma\.net\./);
  const mails = readFileSync(process.env.ML_MAIL_LOG, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const digest = mails.find((m) => /2 documents could not be sent to Visma\.net/.test(m.subject));
  assert.ok(digest, JSON.stringify(mails));
  assert.equal(digest.to, 'admin@example.test');
  for (const id of [first, second]) assert.match(digest.message, new RegExp(`order ${id}: .*currency "SEK"`));
  // The merchant allows SEK, then sends the first order again from its own screen.
  await save({ currencies: 'NOK, EUR, SEK' });
  const edit = `${SITE}/wp-admin/admin.php?page=wc-orders&action=edit&id=${first}`;
  await page.goto(edit);
  assert.match(await page.textContent('#ml-connector-box'), /Failed/);
  await Promise.all([page.waitForNavigation(), page.click('#ml-connector-send-again')]);
  assert.match(await eventually(edit, '#ml-connector-box', /In Visma/), /In Visma\s+\S+/);
  // The second with "Replay all failed" on the queue page.
  await page.goto(`${SITE}/wp-admin/admin.php?page=ml-connector&state=failed`);
  await Promise.all([page.waitForNavigation(), page.click('[name="ml_connector_replay_failed"]')]);
  const other = `${SITE}/wp-admin/admin.php?page=wc-orders&action=edit&id=${second}`;
  assert.match(await eventually(other, '#ml-connector-box', /In Visma/), /In Visma\s+\S+/);
  await page.goto(`${SITE}/wp-admin/`);
  assert.equal(await page.locator('#ml-connector-failures').count(), 0, 'no failure notice once both are in Visma');
});

test('Site Health lists the connector checks', async () => {
  await page.goto(`${SITE}/wp-admin/site-health.php`);
  // The direct tests are rendered by WordPress's script; the passed ones sit in the collapsed list.
  await page.waitForFunction(() => document.body.textContent.includes('ml-connector data directory'), null, { timeout: 30000 });
  const text = await page.textContent('body');
  assert.match(text, /The ml-connector data directory .* (outside wp-content|unguessable name)|not web-readable/);
});

test('Test connection with a wrong company id names the company id', async () => {
  await save({ visma_company_id: '9999999' });
  assert.match(await testConnection(), /Connection failed: .*wrong company id \(fault 12002\)/);
  await save({ visma_company_id: '7654321' });
  assert.match(await testConnection(), /Connected to 7654321/);
});

test('the orders list shows each order in Visma; the queue and the reconciliation screens open', async () => {
  await page.goto(`${SITE}/wp-admin/admin.php?page=wc-orders`);
  assert.equal((await page.textContent('th.column-ml_connector')).trim(), 'Visma');
  const cells = await page.locator('td.column-ml_connector').allTextContents();
  // One order was booked in another company (the company switch); every other one is in Visma.
  assert.ok(cells.filter((c) => !/In Visma\s+\S+/.test(c)).length <= 1, cells.join(' | '));
  await page.goto(`${SITE}/wp-admin/admin.php?page=ml-connector`);
  assert.match(await page.textContent('table.wp-list-table tbody'), /done/);
  await page.goto(`${SITE}/wp-admin/admin.php?page=ml-connector-reconciliation`);
  // Two differences, each with its cause: the order booked in the other company, and the sales order whose VAT
  // Visma computed itself (SalesOrders v3 takes no VAT amounts).
  assert.match(await page.textContent('#ml-connector-reconciliation-summary'), /\d+ documents, 2 differences\./);
  assert.match(await page.textContent('body'), /a sales order: Visma computes its VAT/);
});
