/*
 * check-big.js: paging and speed of report.js on a large generated data block (gen-data.py N),
 * run in the page after report.js (check-sample.sh --big N). Everything here is synchronous
 * (filters applied with Enter, which skips the debounce), so the page needs no timers and
 * performance.now() measures real work. Writes pre#cs-check like check-sample.js, plus
 * "time - WHAT: MS ms" lines. A step slower than LIMIT_MS fails: the limit is loose on purpose
 * (a loaded machine must not fail), it catches quadratic work, not small regressions. With at
 * most 5000 rows it also walks every page after some sorts and compares the whole order with a
 * plain stable sort by the collator written here (the page ranks keys instead of comparing them).
 */
(function () {
	'use strict';

	const LIMIT_MS = 4000;
	const lines = [];
	let failed = 0;
	let count = 0;
	const firstRender = performance.now();     /* navigation start to here: parse + render */

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
	function timed(name, f) {
		const t = performance.now();
		f();
		const ms = performance.now() - t;
		lines.push('time - ' + name + ': ' + ms.toFixed(1) + ' ms');
		check(name + ' within ' + LIMIT_MS + ' ms', ms < LIMIT_MS, true);
	}

	const $ = (sel) => document.querySelector(sel);
	const data = JSON.parse(document.getElementById('cs-data').textContent);
	const n = data.eps.length;
	const pageText = () => $('#page-endpoints').textContent;
	/* how many endpoints the filter text q (lowercase) finds: it is in the host or SNI only */
	const matching = (q) => data.eps.filter((r) => (r[0] + '\n' + r[3]).toLowerCase()
		.indexOf(q) >= 0).length;
	const countText = (k) => k ? '1-' + Math.min(100, k) + ' of ' + k : '0 of 0';
	const rowCount = () => document.querySelectorAll('#table-endpoints tbody tr').length;
	function filterNow(text) {
		const input = $('#filter-endpoints');
		input.value = text;
		input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
	}

	lines.push('time - page load and first render: ' + firstRender.toFixed(1) + ' ms');
	check('csReady', window.csReady, true);
	check('first page', [pageText(), rowCount()], ['1-100 of ' + n, 100]);
	timed('next page', () => $('#view-endpoints button.next').click());
	check('second page', [pageText(), rowCount()], ['101-200 of ' + n, 100]);
	check('prev enabled', $('#view-endpoints button.prev').disabled, false);
	$('#view-endpoints button.prev').click();
	check('back to the first page', pageText(), '1-100 of ' + n);
	/* walking to the last page renders every page: only for a few thousand rows */
	if (n <= 5000) {
		const lastStart = Math.floor((n - 1) / 100) * 100 + 1;
		for (let k = 1; k < lastStart; k += 100)
			$('#view-endpoints button.next').click();
		check('last page', [pageText(), $('#view-endpoints button.next').disabled],
			[lastStart + '-' + n + ' of ' + n, true]);
	}

	timed('first filter (builds the search text)', () => filterNow('www1'));
	check('filter count', pageText(), countText(matching('www1')));
	check('filter resets to the first page', $('#view-endpoints button.prev').disabled, true);
	timed('second filter', () => filterNow('www12'));
	check('second filter count (narrowed from the first)', pageText(),
		countText(matching('www12')));
	timed('filter matching nothing', () => filterNow('zzzz-no-match'));
	check('no match', [pageText(), rowCount()], ['0 of 0', 0]);
	timed('clear filter', () => filterNow(''));
	check('cleared', pageText(), '1-100 of ' + n);

	timed('sort by certificate (days)', () =>
		$('#table-endpoints th[data-col="cert"]').click());
	timed('sort by certificate again (descending)', () =>
		$('#table-endpoints th[data-col="cert"]').click());
	timed('sort by host', () => $('#table-endpoints th[data-col="host"]').click());
	timed('sort by address', () => $('#table-endpoints th[data-col="addr"]').click());
	const hosts = Array.from(document.querySelectorAll(
		'#table-endpoints tbody td[data-col="addr"]')).map((td) => td.textContent);
	check('address order starts at 127.0.0.0', hosts[0].startsWith('127.0.0.0:'), true);

	/* The whole order after sorting, against a stable sort by the collator (small n only). */
	const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
	/* [[row, text of column col]] of every row of the view, in order, walking the pages */
	function walk(view, col) {
		const out = [];
		const prev = $('#view-' + view + ' button.prev');
		const next = $('#view-' + view + ' button.next');
		while (!prev.disabled)
			prev.click();
		for (;;) {
			const trs = document.querySelectorAll('#table-' + view + ' tbody tr');
			for (const tr of trs) {
				const td = tr.querySelector('td[data-col="' + col + '"]');
				out.push([Number(tr.dataset.row), td.textContent]);
			}
			if (next.disabled)
				return out;
			next.click();
		}
	}
	/* rows (walk()) sorted by their text: dir 1 or -1, empty last, ties in their order */
	function refSort(rows, dir) {
		return rows.slice().sort((a, b) => {
			if (a[1] === '' || b[1] === '')
				return (a[1] === '' ? 1 : 0) - (b[1] === '' ? 1 : 0);
			return dir * collator.compare(a[1], b[1]);
		}).map((r) => r[0]);
	}
	function sortMatches(view, col) {
		const th = $('#table-' + view + ' th[data-col="' + col + '"]');
		for (const [dir, name] of [[1, 'ascending'], [-1, 'descending']]) {
			const before = walk(view, col);
			th.click();
			const got = walk(view, col).map((r) => r[0]);
			check(view + ' sorted by ' + col + ', ' + name +
				': the collator\'s stable order', got, refSort(before, dir));
		}
	}
	if (n <= 5000) {
		sortMatches('endpoints', 'host');
		sortMatches('endpoints', 'sni');
		sortMatches('certs', 'cn');
		sortMatches('certs', 'issuer');
	}
	timed('filter after sorting', () => filterNow('timeout'));
	timed('TLS only', () => {
		const box = $('#q-endpoints-tls');
		box.checked = true;
		box.dispatchEvent(new Event('change', { bubbles: true }));
	});
	check('TLS only and "timeout": nothing', pageText(), '0 of 0');
	timed('open a certificate', () => {
		filterNow('');
		$('#table-certs tbody tr').click();
	});
	check('detail open', !$('#detail').hidden, true);
	check('window.__xss never set', typeof window.__xss, 'undefined');
	check('no img element', document.querySelectorAll('img').length, 0);

	lines.push('done: ' + count + ' checks, ' + failed + ' failed');
	const pre = document.createElement('pre');
	pre.id = 'cs-check';
	pre.textContent = lines.join('\n');
	document.body.appendChild(pre);
})();
