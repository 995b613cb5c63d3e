/*
 * check-sample.js: checks of report.js on tests/browser/sample-data.json, run in the page itself
 * (check-sample.sh adds this file as an inline script after report.js and reads the result with
 * chromium --dump-dom). It clicks, types and sorts like a user would (element.click(), input and
 * keydown events), waits for the debounced filter, and writes one line per check into
 * pre#cs-check: "ok - NAME" or "not ok - NAME: got X, want Y", then "done: N checks, M failed".
 * The expectations follow the hand-made data; change both together.
 */
(function () {
	'use strict';

	const lines = [];
	let failed = 0;
	let count = 0;

	function check(name, got, want) {
		count++;
		const g = JSON.stringify(got);
		const w = JSON.stringify(want);
		if (g === w) {
			lines.push('ok - ' + name);
		} else {
			failed++;
			lines.push('not ok - ' + name + ': got ' + g + ', want ' + w);
		}
	}

	const $ = (sel) => document.querySelector(sel);
	const $$ = (sel) => Array.from(document.querySelectorAll(sel));
	const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
	const rows = (name) => $$('#table-' + name + ' tbody tr');
	const rowIds = (name) => rows(name).map((tr) => Number(tr.dataset.row));
	const cells = (name, col) => $$('#table-' + name + ' tbody td[data-col="' + col + '"]')
		.map((td) => td.textContent);
	const pageText = (name) => $('#page-' + name).textContent;
	const sortBy = (name, col) => $('#table-' + name + ' th[data-col="' + col + '"]').click();
	const ariaSort = (name, col) =>
		$('#table-' + name + ' th[data-col="' + col + '"]').getAttribute('aria-sort');
	async function typeFilter(name, text) {
		const input = $('#filter-' + name);
		input.value = text;
		input.dispatchEvent(new Event('input', { bubbles: true }));
		await sleep(400);
	}
	function toggle(id) {
		const box = document.getElementById(id);
		box.checked = !box.checked;
		box.dispatchEvent(new Event('change', { bubbles: true }));
	}
	const detail = () => document.getElementById('detail');
	const detailOpen = () => !!detail() && !detail().hidden &&
		getComputedStyle(detail()).display !== 'none';

	async function run() {
		check('csReady is set', window.csReady, true);

		/* First render */
		check('endpoint rows', rows('endpoints').length, 7);
		check('endpoints page text', pageText('endpoints'), '1-7 of 7');
		check('certificate rows', rows('certs').length, 6);
		check('finding rows', rows('findings').length, 7);
		check('order rows', rows('orders').length, 1);
		check('orders page text', pageText('orders'), '1-1 of 1');
		check('prev disabled on the first page', $('#view-endpoints button.prev').disabled, true);
		check('next disabled on the last page', $('#view-endpoints button.next').disabled, true);
		check('empty footer hidden', $('#table-endpoints tfoot').hidden, true);
		check('endpoint headers', $$('#table-endpoints th[data-col]').map((th) => th.dataset.col),
			['host', 'addr', 'sni', 'starttls', 'status', 'version', 'cipher', 'grade',
				'country', 'asn', 'cert', 'findings', 'order']);
		check('aria-sort none before sorting', ariaSort('endpoints', 'host'), 'none');
		check('IPv6 address in brackets', cells('endpoints', 'addr')[1], '[::1]:8443');
		check('certificate cell: CN and days', cells('endpoints', 'cert')[0],
			'www.example.test \u00b7 75d left');
		check('findings cell: count and worst severity', cells('endpoints', 'findings')[4],
			'2 critical');
		check('findings cell class', $$('#table-endpoints td[data-col="findings"]')[4].className,
			'sev-critical num');
		check('order status of an endpoint', cells('endpoints', 'order')[2], 'Processing');

		/* Non-preferred rows */
		check('non-preferred endpoint rows', $$('#table-endpoints tbody tr.nonpref')
			.map((tr) => Number(tr.dataset.row)), [3, 4]);
		check('non-preferred certificate rows', $$('#table-certs tbody tr.nonpref')
			.map((tr) => Number(tr.dataset.row)), [1, 3]);
		check('preferred column', cells('certs', 'preferred'), ['yes', 'no', 'yes', 'no', '', '']);

		/* Expiry and severity classes */
		const days = $$('#table-certs td[data-col="days"]');
		check('days classes', days.map((td) => td.classList.contains('expired') ? 'expired' :
			td.classList.contains('exp7') ? 'exp7' : td.classList.contains('exp30') ? 'exp30' : ''),
		['expired', 'exp30', '', 'exp7', '', '']);
		check('severity classes', $$('#table-findings td[data-col="severity"]').map((td) =>
			td.className), ['sev-critical', 'sev-medium', 'sev-high', 'sev-critical',
			'sev-medium', 'sev-low', 'sev-info']);

		/* Hostile certificate fields are text */
		check('img payload shown as text in the certificate table', cells('certs', 'cn')[1],
			'<img src=x onerror=window.__xss=2>');
		check('script payload shown as text in the findings table', cells('findings', 'message')[2],
			'self-signed certificate <script>window.__xss=3<\/script>');
		check('no img element anywhere', $$('img').length, 0);
		check('no script element added', $$('script').length, 3);
		check('no element with an inline handler', $$('[onerror],[onmouseover],[onclick]').length, 0);

		/* Sorting */
		sortBy('certs', 'days');
		check('days ascending', cells('certs', 'days'), ['-12', '5', '20', '75', '900', '2000']);
		check('aria-sort ascending', ariaSort('certs', 'days'), 'ascending');
		sortBy('certs', 'days');
		check('days descending', cells('certs', 'days'), ['2000', '900', '75', '20', '5', '-12']);
		check('aria-sort descending', ariaSort('certs', 'days'), 'descending');
		sortBy('certs', 'cn');
		check('aria-sort moves to the new column', [ariaSort('certs', 'days'),
			ariaSort('certs', 'cn')], ['none', 'ascending']);
		sortBy('endpoints', 'addr');
		check('addresses sort numerically, IPv6 after IPv4', rowIds('endpoints'),
			[6, 0, 2, 3, 4, 5, 1]);
		sortBy('endpoints', 'cert');
		check('certificate column: by days left, empty last', rowIds('endpoints'),
			[2, 4, 3, 0, 1, 6, 5]);
		sortBy('endpoints', 'cert');
		check('descending: empty still last, ties keep the previous order', rowIds('endpoints'),
			[0, 1, 3, 4, 2, 6, 5]);
		sortBy('endpoints', 'status');
		check('stable: equal statuses keep the previous order', rowIds('endpoints'),
			[0, 1, 3, 4, 2, 6, 5]);
		sortBy('endpoints', 'grade');
		check('grades sort A before F, empty last', cells('endpoints', 'grade'),
			['A', 'B', 'F', 'T', '', '', '']);
		sortBy('findings', 'severity');
		check('severity ascending: most severe first', cells('findings', 'severity'),
			['critical', 'critical', 'high', 'medium', 'medium', 'low', 'info']);

		/* Filtering */
		await typeFilter('endpoints', 'EXAMPLE');
		check('filter is case-insensitive', pageText('endpoints'), '1-4 of 4');
		check('filtered rows', rows('endpoints').length, 4);
		await typeFilter('endpoints', 'timed out');
		check('filter sees the error text', rowIds('endpoints'), [5]);
		await typeFilter('endpoints', 'no such thing');
		check('no match: 0 of 0', pageText('endpoints'), '0 of 0');
		check('no match: no rows', rows('endpoints').length, 0);
		check('no match: footer says so', [$('#table-endpoints tfoot').hidden,
			$('#table-endpoints tfoot').textContent], [false, 'no matching endpoints']);
		await typeFilter('endpoints', '');
		check('cleared filter', pageText('endpoints'), '1-7 of 7');
		await typeFilter('certs', '<script>');
		check('filter sees displayed cells only (the subject is not a column)', rowIds('certs'),
			[]);
		await typeFilter('certs', 'onerror=window');
		check('filter on a displayed CN', rowIds('certs'), [1]);
		await typeFilter('certs', '');

		/* Quick filters */
		toggle('q-endpoints-tls');
		check('TLS only', pageText('endpoints'), '1-5 of 5');
		toggle('q-endpoints-tls');
		toggle('q-endpoints-problems');
		check('problems only', pageText('endpoints'), '1-5 of 5');
		toggle('q-endpoints-problems');
		toggle('q-certs-expired');
		check('expired certificates', cells('certs', 'cn'), ['old.example.test']);
		toggle('q-certs-expired');
		toggle('q-certs-exp30');
		check('expiring within 30 days', pageText('certs'), '1-2 of 2');
		toggle('q-certs-exp30');
		toggle('q-certs-nonpref');
		check('non-preferred certificates', rowIds('certs').sort(), [1, 3]);
		toggle('q-certs-nonpref');
		const sev = $('#severity-findings');
		sev.value = 'critical';
		sev.dispatchEvent(new Event('change', { bubbles: true }));
		check('severity select', cells('findings', 'check'), ['cert.expired', 'cert.expiring']);
		sev.value = '';
		sev.dispatchEvent(new Event('change', { bubbles: true }));
		check('severity select back to all', pageText('findings'), '1-7 of 7');

		/* Detail panel */
		check('detail closed at first', detailOpen(), false);
		$('#table-endpoints tbody tr[data-row="2"] td[data-col="cert"]').click();
		check('endpoint certificate cell opens the detail', detailOpen(), true);
		const d = () => detail().textContent;
		check('detail heading', detail().querySelector('h2').textContent, 'old.example.test');
		check('detail shows the order', /#7.*Processing.*Accepted by CA/.test(d()), true);
		check('detail shows the fix', d().indexOf('Install a renewed certificate') >= 0, true);
		check('detail lists the serving endpoint', d().indexOf('127.0.0.11:443') >= 0, true);
		check('detail shows the SANs', $$('#detail ul.sans li').map((li) => li.textContent),
			['DNS:old.example.test']);
		const heading = detail().querySelector('h2');
		detail().querySelector('dl.props dd').click();
		check('a click on plain detail text changes nothing', [detailOpen(),
			detail().querySelector('h2') === heading], [true, true]);
		$('#detail ol.chain [data-cert]').click();
		check('chain entry opens the intermediate', detail().querySelector('h2').textContent,
			'Preferred Test Intermediate');
		check('intermediate has no order', d().indexOf('no order') >= 0, true);
		document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
		check('Escape closes the detail', detailOpen(), false);
		$('#table-certs tbody tr[data-row="1"] td[data-col="key"]').click();
		check('certificate row opens the detail', detailOpen(), true);
		check('hostile subject shown as text', d().indexOf('<script>window.__xss=1<\/script>') >= 0,
			true);
		check('hostile CN shown as text', detail().querySelector('h2').textContent,
			'<img src=x onerror=window.__xss=2>');
		check('hostile SAN shown as text', $$('#detail ul.sans li')[0].textContent,
			'DNS:<script>window.__xss=5<\/script>.test');
		check('non-preferred certificate without order', d().indexOf('no order') >= 0, true);
		$('#detail button.close').click();
		check('close button closes the detail', detailOpen(), false);
		$('#table-findings tbody tr[data-row="3"] td[data-col="cert"]').click();
		check('finding certificate cell opens the detail', detail().querySelector('h2').textContent,
			'mail.example.test');
		check('finding fixes listed', $$('#detail ul.findings p.fix').length, 2);

		/* Typing on filters among the rows already found; anything else starts over */
		const fresh = async (name, text) => {
			await typeFilter(name, '');
			await typeFilter(name, text);
			return rowIds(name);
		};
		await typeFilter('endpoints', 'ex');
		await typeFilter('endpoints', 'example.te');
		check('typing on: the rows of the longer text', rowIds('endpoints'),
			await fresh('endpoints', 'example.te'));
		check('typing on: all four', pageText('endpoints'), '1-4 of 4');
		await typeFilter('endpoints', 'mail.example');
		check('typing on to one row', rowIds('endpoints'), [4]);
		await typeFilter('endpoints', 'example');
		check('deleting text widens again', pageText('endpoints'), '1-4 of 4');
		await typeFilter('endpoints', '127.0.0.1');
		toggle('q-endpoints-tls');
		check('text and a quick filter', pageText('endpoints'), '1-4 of 4');
		await typeFilter('endpoints', '127.0.0.14');
		check('typing on with a quick filter: the timed-out row is not TLS',
			rowIds('endpoints'), []);
		toggle('q-endpoints-tls');
		check('quick filter off: the timed-out row is back', rowIds('endpoints'), [5]);
		await typeFilter('endpoints', 'example');
		sortBy('endpoints', 'host');
		const sorted = rowIds('endpoints');
		await typeFilter('endpoints', 'example.test');
		check('typing on after a sort keeps the new order', rowIds('endpoints'), sorted);
		check('the sort changed the order', sorted.join() !== [0, 1, 2, 4].join(), true);
		await typeFilter('endpoints', '');

		/*
		 * Columns sorted by their text: the order is a stable sort of the previous order by
		 * the numeric-aware, case-insensitive collator, empty text last, both ways (written
		 * here plainly; the page ranks the keys once instead).
		 */
		const collator = new Intl.Collator(undefined,
			{ numeric: true, sensitivity: 'base' });
		function refSort(ids, text, dir) {
			return ids.slice().sort((a, b) => {
				const x = text.get(a);
				const y = text.get(b);
				if (x === '' || y === '')
					return (x === '' ? 1 : 0) - (y === '' ? 1 : 0);
				return dir * collator.compare(x, y);
			});
		}
		const textColumns = {
			endpoints: ['host', 'sni', 'starttls', 'version', 'cipher', 'country',
				'order'],
			certs: ['cn', 'issuer', 'key', 'sig', 'preferred', 'trusted', 'order'],
			findings: ['check', 'message', 'cert', 'status'],
			orders: ['status', 'ca_state', 'sans', 'endpoints'],
		};
		for (const [name, columns] of Object.entries(textColumns))
			for (const col of columns) {
				const ids = rowIds(name);
				const texts = cells(name, col);
				const text = new Map(ids.map((id, k) => [id, texts[k]]));
				/* a column sorted ascending already goes descending first */
				const dir = ariaSort(name, col) === 'ascending' ? -1 : 1;
				sortBy(name, col);
				const first = rowIds(name);
				const way = (d) => name + ' by ' + col +
					(d > 0 ? ' ascending' : ' descending');
				check(way(dir), first, refSort(ids, text, dir));
				sortBy(name, col);
				check(way(-dir), rowIds(name), refSort(first, text, -dir));
			}

		/* Still inert after everything */
		await sleep(200);
		check('no img element at the end', $$('img').length, 0);
		check('window.__xss never set', typeof window.__xss, 'undefined');
	}

	function finish() {
		lines.push('done: ' + count + ' checks, ' + failed + ' failed');
		const pre = document.createElement('pre');
		pre.id = 'cs-check';
		pre.textContent = lines.join('\n');
		document.body.appendChild(pre);
	}

	run().then(finish, (e) => {
		failed++;
		lines.push('not ok - exception: ' + String(e && e.stack ? e.stack : e));
		finish();
	});
})();
