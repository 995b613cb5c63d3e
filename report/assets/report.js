/*
 * report.js: the front-end of certsweep's HTML dashboard. report/html.c embeds this file
 * verbatim as the page's only script (its SHA-256 goes into the Content-Security-Policy), after
 * the data block <script id="cs-data" type="application/json"> (schema "certsweep.html/1",
 * described in report/html.h together with the page layout and the contract below).
 *
 * What it does: reads the data block, fills div#view-endpoints, div#view-certs,
 * div#view-findings and div#view-orders with a heading and count, a filter input#filter-NAME
 * (case-insensitive substring over the row's displayed cells, debounced), quick filters, a
 * table#table-NAME whose th[data-col] headers sort on click (ascending, then descending;
 * aria-sort set; stable, so ties keep the previous order; empty values last either way) and a
 * pager (button.prev, button.next, span#page-NAME "1-100 of 2345", "0 of 0"). Only the current
 * page's 100 rows are in the DOM. Clicking a certificate (a certificate row, or a td[data-cert]
 * in another table) fills aside#detail; Escape or its close button hides it. After the first
 * render it sets window.csReady = true.
 *
 * Security: every string of the data block is attacker-controlled (certificate fields, server
 * answers). The DOM is built with createElement and textContent only; class names, ids and
 * attributes come from the fixed sets below, data-* attributes hold integers only. Nothing here
 * parses HTML, builds a URL, or evaluates text. Keep it that way.
 *
 * Scale: with 100,000 endpoint rows a keystroke costs one pass over an array of indices (the
 * lowercased text of each row is built once, on the first filter), a header click one stable
 * sort of the indices (each column's sort keys are computed once), and a page 100 rows of DOM.
 *
 * Plain ES2020, no libraries, no modules. The file must never contain a closing script tag or
 * an HTML comment opener, since it is embedded inline.
 */
(function () {
	'use strict';

	const PAGE_SIZE = 100;
	const MAX_DETAIL_ITEMS = 1000;    /* SANs, endpoints, findings listed in the detail panel */
	const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
	const SEV_RANK = new Map([['critical', 4], ['high', 3], ['medium', 2], ['low', 1],
		['info', 0]]);
	const SEV_CLASS = new Map(SEVERITIES.map((s) => [s, 'sev-' + s]));
	const GRADE_RANK = new Map(['A+', 'A', 'A-', 'B', 'C', 'D', 'E', 'F', 'T', 'M']
		.map((g, i) => [g, i]));
	const GRADE_CLASS = new Map([['A+', 'grade-a'], ['A', 'grade-a'], ['A-', 'grade-a'],
		['B', 'grade-b'], ['C', 'grade-c'], ['D', 'grade-c'], ['E', 'grade-c'],
		['F', 'grade-f'], ['T', 'grade-f'], ['M', 'grade-f']]);
	const OLD_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1.0', 'TLSv1.1']);
	const CLOSED_ORDERS = new Set(['Installed', 'Rejected', 'Cancelled']);
	const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

	/* ---- small helpers ---- */

	function str(v) {
		return v === null || v === undefined ? '' : String(v);
	}

	function isInt(v) {
		return typeof v === 'number' && Number.isInteger(v);
	}

	/* cls must come from a fixed set written in this file, never from the data. */
	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null && text !== '')
			e.textContent = String(text);
		return e;
	}

	function button(cls, text) {
		const b = el('button', cls, text);
		b.type = 'button';
		return b;
	}

	/* "2026-11-26T10:20:30Z" -> "2026-11-26 10:20"; other text unchanged; unix seconds too. */
	function fmtTime(v) {
		if (isInt(v) && v > 0) {
			const d = new Date(v * 1000);
			v = isNaN(d.getTime()) ? String(v) : d.toISOString();
		}
		const s = str(v);
		if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s))
			return s;
		return s.slice(0, 10) + ' ' + s.slice(11, 16);
	}

	function fmtDate(v) {
		const s = str(v);
		return /^\d{4}-\d\d-\d\dT/.test(s) ? s.slice(0, 10) : s;
	}

	function daysClass(d) {
		if (d === null)
			return '';
		if (d < 0)
			return 'expired';
		if (d <= 7)
			return 'exp7';
		if (d <= 30)
			return 'exp30';
		return '';
	}

	function daysText(d) {
		if (d === null)
			return '';
		if (d < 0)
			return 'expired ' + (-d) + 'd ago';
		return d + 'd left';
	}

	function yesNo(v) {
		return v === 1 ? 'yes' : v === 0 ? 'no' : '';
	}

	/*
	 * A table of the data block: rows (arrays) and a column list, looked up by name so that
	 * added, removed or reordered columns never shift values. Accessors never throw: a missing
	 * column or a value of the wrong type reads as empty.
	 */
	function makeTable(rows, cols) {
		const index = new Map();
		if (Array.isArray(cols))
			cols.forEach((c, i) => {
				if (typeof c === 'string' && !index.has(c))
					index.set(c, i);
			});
		const list = Array.isArray(rows) ? rows : [];
		const r = new Array(list.length);
		for (let i = 0; i < list.length; i++)
			r[i] = Array.isArray(list[i]) ? list[i] : [];
		function raw(i, name) {
			const k = index.get(name);
			return k === undefined ? undefined : r[i][k];
		}
		return {
			n: r.length,
			has: (name) => index.has(name),
			raw: raw,
			s: (i, name) => str(raw(i, name)),
			/* an integer, or null */
			i: (i, name) => {
				const v = raw(i, name);
				return isInt(v) ? v : null;
			},
			/* a flag 1, 0 or -1 (anything else: -1) */
			f: (i, name) => {
				const v = raw(i, name);
				return v === 1 || v === 0 ? v : -1;
			},
		};
	}

	/* ---- the data ---- */

	let data = null;
	let dataError = '';
	try {
		const node = document.getElementById('cs-data');
		data = node ? JSON.parse(node.textContent) : null;
		if (!node)
			dataError = 'the page has no data block';
	} catch (e) {
		dataError = 'the data block is not valid JSON';
	}
	if (data === null || typeof data !== 'object' || Array.isArray(data))
		data = {};

	const EP = makeTable(data.eps, data.ep_cols);
	const CE = makeTable(data.certs, data.cert_cols);
	const FI = makeTable(data.findings, data.f_cols);
	const OR = makeTable(data.orders, data.o_cols);
	const fixes = data.fixes !== null && typeof data.fixes === 'object' &&
		!Array.isArray(data.fixes) ? data.fixes : {};

	/* A reference into table T: the index, or -1. */
	function ref(v, T) {
		return isInt(v) && v >= 0 && v < T.n ? v : -1;
	}

	/* A list of references into table T (invalid entries dropped). */
	function refs(v, T) {
		if (!Array.isArray(v))
			return [];
		const out = [];
		for (const x of v)
			if (isInt(x) && x >= 0 && x < T.n)
				out.push(x);
		return out;
	}

	function fixFor(check) {
		if (check === '' || !Object.prototype.hasOwnProperty.call(fixes, check))
			return '';
		return str(fixes[check]);
	}

	/* Endpoints */
	const epCert = (i) => ref(EP.raw(i, 'cert'), CE);
	const epOrder = (i) => ref(EP.raw(i, 'order'), OR);
	const epFindings = (i) => refs(EP.raw(i, 'findings'), FI);
	function epAddr(i) {
		const ip = EP.s(i, 'ip');
		const port = EP.s(i, 'port');
		let host = EP.s(i, 'host');
		if (ip !== '')
			host = ip.indexOf(':') >= 0 ? '[' + ip + ']' : ip;
		return port !== '' ? host + ':' + port : host;
	}
	/* A key that sorts addresses numerically: IPv4 before IPv6 before names, then port. */
	function epAddrKey(i) {
		const ip = EP.s(i, 'ip');
		const port = ('00000' + EP.s(i, 'port')).slice(-5);
		let key = '';
		const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
		if (v4) {
			key = '4 ' + v4.slice(1).map((o) => ('00' + o).slice(-3)).join('.');
		} else if (/^[0-9a-fA-F:.]+$/.test(ip) && ip.indexOf(':') >= 0) {
			/* expand "::" to zero groups (an embedded IPv4 tail is left as it is) */
			const halves = ip.toLowerCase().split('::');
			const head = halves[0] ? halves[0].split(':') : [];
			const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
			const fill = Math.max(0, 8 - head.length - tail.length);
			const groups = head.concat(new Array(fill).fill('0'), tail);
			key = '6 ' + groups.map((g) => ('0000' + g).slice(-4)).join(':');
		} else {
			key = '9 ' + (ip || EP.s(i, 'host')).toLowerCase();
		}
		return key + ' ' + port + ' ' + EP.s(i, 'sni').toLowerCase();
	}
	function epLabel(i) {
		const sni = EP.s(i, 'sni');
		return sni !== '' ? epAddr(i) + ' (' + sni + ')' : epAddr(i);
	}
	function epNonPref(i) {
		const c = epCert(i);
		return EP.f(i, 'preferred') === 0 || (c >= 0 && CE.f(c, 'preferred') === 0);
	}

	/* Certificates */
	const certDays = (c) => CE.i(c, 'days');
	const certOrder = (c) => ref(CE.raw(c, 'order'), OR);
	function certCN(c) {
		const cn = CE.s(c, 'cn');
		if (cn !== '')
			return cn;
		const subject = CE.s(c, 'subject');
		if (subject !== '')
			return subject;
		const sha = CE.s(c, 'sha256');
		return sha !== '' ? 'sha256 ' + sha.slice(0, 16) : '(no name)';
	}
	function certIssuer(c) {
		return CE.s(c, 'issuer_org') || CE.s(c, 'issuer_cn') || CE.s(c, 'issuer');
	}
	function certCell(c) {
		if (c < 0)
			return '';
		const d = daysText(certDays(c));
		return d !== '' ? certCN(c) + ' \u00b7 ' + d : certCN(c);
	}

	/* Findings */
	const sevRank = (f) => {
		const r = SEV_RANK.get(FI.s(f, 'severity'));
		return r === undefined ? -1 : r;
	};
	/* "3 high" for a list of findings; worst is its highest severity or ''. */
	function findingsSummary(list) {
		let worst = -1;
		let name = '';
		for (const f of list) {
			const r = sevRank(f);
			if (r > worst) {
				worst = r;
				name = FI.s(f, 'severity');
			}
		}
		return { n: list.length, worst: worst, name: name };
	}
	function findingsText(list) {
		const s = findingsSummary(list);
		return s.n === 0 ? '0' : s.name !== '' ? s.n + ' ' + s.name : String(s.n);
	}
	function findingsClass(list) {
		const s = findingsSummary(list);
		return s.n === 0 ? '' : SEV_CLASS.get(s.name) || '';
	}
	function findingsKey(list) {
		const s = findingsSummary(list);
		return s.n === 0 ? 0 : (s.worst + 1) * 1e7 + s.n;
	}

	function orderStatus(o) {
		return o >= 0 ? OR.s(o, 'status') : '';
	}

	/* ---- the certificate detail panel ---- */

	let lastFocus = null;

	function detailPanel() {
		let aside = document.getElementById('detail');
		if (!aside) {
			aside = document.createElement('aside');
			aside.id = 'detail';
			aside.hidden = true;
			document.body.appendChild(aside);
		}
		if (!aside.classList.contains('cs-wired')) {
			aside.classList.add('cs-wired');
			aside.setAttribute('aria-label', 'Certificate detail');
			aside.addEventListener('click', (ev) => {
				const t = ev.target instanceof Element ? ev.target : null;
				if (!t)
					return;
				if (t.closest('button.close')) {
					closeDetail();
					return;
				}
				const c = t.closest('[data-cert]');
				if (c && c !== aside && aside.contains(c))
					showCert(Number(c.dataset.cert));
			});
		}
		return aside;
	}

	function closeDetail() {
		const aside = document.getElementById('detail');
		if (!aside || aside.hidden)
			return;
		aside.hidden = true;
		if (lastFocus && document.contains(lastFocus))
			lastFocus.focus({ preventScroll: true });
		lastFocus = null;
	}

	function dlRow(dl, label, value, cls) {
		dl.appendChild(el('dt', '', label));
		const dd = el('dd', cls || '', value === '' ? '\u2014' : value);
		dl.appendChild(dd);
		return dd;
	}

	function moreText(total) {
		return '\u2026 and ' + (total - MAX_DETAIL_ITEMS) + ' more';
	}

	function certLink(c, text) {
		const b = button('link', text);
		b.dataset.cert = String(c);
		return b;
	}

	function showCert(c) {
		if (!isInt(c) || c < 0 || c >= CE.n)
			return;
		const aside = detailPanel();
		if (aside.hidden) {
			const a = document.activeElement;
			lastFocus = a instanceof HTMLElement && a !== document.body ? a : null;
		}
		aside.replaceChildren();
		aside.dataset.cert = String(c);

		const head = el('div', 'detail-head');
		const h = el('h2', CE.f(c, 'preferred') === 0 ? 'nonpref' : '', certCN(c));
		const close = button('close', '\u2715');
		close.setAttribute('aria-label', 'Close');
		close.title = 'Close (Esc)';
		head.appendChild(h);
		head.appendChild(close);
		aside.appendChild(head);

		const dl = el('dl', 'props');
		dlRow(dl, 'Common name', CE.s(c, 'cn'));
		dlRow(dl, 'Subject', CE.s(c, 'subject'));
		dlRow(dl, 'Issuer', CE.s(c, 'issuer'));
		if (CE.has('serial'))
			dlRow(dl, 'Serial', CE.s(c, 'serial'), 'mono');
		dlRow(dl, 'SHA-256', CE.s(c, 'sha256'), 'mono');
		dlRow(dl, 'Not before', CE.s(c, 'not_before'));
		dlRow(dl, 'Not after', CE.s(c, 'not_after'));
		const days = certDays(c);
		dlRow(dl, 'Days left', days === null ? '' : String(days), daysClass(days));
		dlRow(dl, 'Key', CE.s(c, 'key'));
		dlRow(dl, 'Signature', CE.s(c, 'sig'));
		const pref = CE.f(c, 'preferred');
		dlRow(dl, 'Preferred CA', pref === -1 ? 'unknown' : yesNo(pref),
			pref === 0 ? 'bad' : '');
		const trusted = CE.f(c, 'trusted');
		dlRow(dl, 'Trusted', trusted === -1 ? 'unknown' : yesNo(trusted),
			trusted === 0 ? 'bad' : '');
		const roles = [];
		if (CE.f(c, 'leaf') === 1)
			roles.push('leaf');
		if (CE.f(c, 'self_signed') === 1)
			roles.push('self-signed');
		if (roles.length)
			dlRow(dl, 'Role', roles.join(', '));
		aside.appendChild(dl);

		/* SANs */
		const sans = CE.s(c, 'sans').split(/\s+/).filter((s) => s !== '');
		aside.appendChild(el('h3', '', 'Subject alternative names (' + sans.length + ')'));
		if (sans.length === 0) {
			aside.appendChild(el('p', 'none', 'none'));
		} else {
			const ul = el('ul', 'sans');
			for (const s of sans.slice(0, MAX_DETAIL_ITEMS))
				ul.appendChild(el('li', '', s));
			if (sans.length > MAX_DETAIL_ITEMS)
				ul.appendChild(el('li', 'more', moreText(sans.length)));
			aside.appendChild(ul);
		}

		/* Chain */
		const chain = refs(CE.raw(c, 'chain'), CE);
		aside.appendChild(el('h3', '', 'Chain (' + chain.length + ' above it)'));
		if (chain.length === 0) {
			aside.appendChild(el('p', 'none', 'nothing above it was presented'));
		} else {
			const ol = el('ol', 'chain');
			for (const k of chain) {
				const li = el('li', '');
				li.appendChild(certLink(k, certCN(k)));
				const na = fmtDate(CE.s(k, 'not_after')) || '\u2014';
				const kd = certDays(k);
				const kc = daysClass(kd);
				li.appendChild(el('span', 'sub', 'issued by ' +
					(certIssuer(k) || '\u2014') + ' \u00b7 not after ' + na));
				if (kc !== '')
					li.appendChild(el('span', 'badge ' + kc, daysText(kd)));
				ol.appendChild(li);
			}
			aside.appendChild(ol);
		}

		/* Endpoints serving it */
		const eps = refs(CE.raw(c, 'eps'), EP);
		aside.appendChild(el('h3', '', 'Endpoints serving it (' + eps.length + ')'));
		if (eps.length === 0) {
			aside.appendChild(el('p', 'none', 'none'));
		} else {
			const t = el('table', 'mini eps');
			const tr0 = el('tr');
			for (const label of ['Address', 'SNI', 'Status', 'Grade'])
				tr0.appendChild(el('th', '', label));
			t.appendChild(el('thead')).appendChild(tr0);
			const tb = el('tbody');
			for (const e of eps.slice(0, MAX_DETAIL_ITEMS)) {
				const tr = el('tr', epNonPref(e) ? 'nonpref' : '');
				tr.appendChild(el('td', '', epAddr(e)));
				tr.appendChild(el('td', '', EP.s(e, 'sni')));
				const st = EP.s(e, 'status');
				tr.appendChild(el('td', st === 'ok' ? 'st-ok' : 'st-bad', st));
				tr.appendChild(el('td', GRADE_CLASS.get(EP.s(e, 'grade')) || '',
					EP.s(e, 'grade')));
				tb.appendChild(tr);
			}
			t.appendChild(tb);
			aside.appendChild(t);
			if (eps.length > MAX_DETAIL_ITEMS)
				aside.appendChild(el('p', 'more', moreText(eps.length)));
		}

		/* Findings with their fixes */
		const fl = refs(CE.raw(c, 'findings'), FI);
		aside.appendChild(el('h3', '', 'Findings (' + fl.length + ')'));
		if (fl.length === 0) {
			aside.appendChild(el('p', 'none', 'none'));
		} else {
			const ul = el('ul', 'findings');
			for (const f of fl.slice(0, MAX_DETAIL_ITEMS)) {
				const li = el('li', '');
				const sev = FI.s(f, 'severity');
				const sc = SEV_CLASS.get(sev) || '';
				li.appendChild(el('span', sc !== '' ? 'sev ' + sc : 'sev', sev));
				li.appendChild(el('code', 'check', FI.s(f, 'check')));
				const e = ref(FI.raw(f, 'ep'), EP);
				if (e >= 0)
					li.appendChild(el('span', 'sub', epLabel(e)));
				if (FI.s(f, 'status') !== '' && FI.s(f, 'status') !== 'open')
					li.appendChild(el('span', 'sub', FI.s(f, 'status')));
				li.appendChild(el('p', 'msg', FI.s(f, 'message')));
				const fix = fixFor(FI.s(f, 'check'));
				if (fix !== '')
					li.appendChild(el('p', 'fix', fix));
				ul.appendChild(li);
			}
			aside.appendChild(ul);
			if (fl.length > MAX_DETAIL_ITEMS)
				aside.appendChild(el('p', 'more', moreText(fl.length)));
		}

		/* Order */
		aside.appendChild(el('h3', '', 'Order'));
		const o = certOrder(c);
		if (o < 0) {
			aside.appendChild(el('p', 'none order', 'no order'));
		} else {
			const od = el('dl', 'props order');
			dlRow(od, 'Order', '#' + OR.s(o, 'id'));
			dlRow(od, 'Status', OR.s(o, 'status'));
			dlRow(od, 'CA state', OR.s(o, 'ca_state'));
			dlRow(od, 'Updated', fmtTime(OR.raw(o, 'updated')));
			aside.appendChild(od);
		}

		aside.hidden = false;
		aside.scrollTop = 0;
		close.focus({ preventScroll: true });
	}

	document.addEventListener('keydown', (ev) => {
		if (ev.key === 'Escape')
			closeDetail();
	});

	/* ---- a table view ---- */

	/*
	 * spec: name (the NAME of the ids), title, plural, n rows, columns [{key, label, text(i),
	 * sort(i) (a number, a string, or null/'' for empty; default text), plain (compare the
	 * string keys by code point instead of the numeric-aware collator), cls(i) (a class from a
	 * fixed set), build(td, i) (custom cell content; text(i) stays what the filter sees),
	 * num (right-aligned)}], rowClass(i), rowCert(i) (a certificate the row opens, or -1),
	 * quick [{kind: 'check', id, label, test(i)} | {kind: 'select', id, label, options
	 * [[value, text]], test(i, value)}].
	 */
	function makeView(spec) {
		const root = document.getElementById('view-' + spec.name);
		if (!root)
			return;
		root.replaceChildren();
		root.classList.add('cs-view');

		const n = spec.n;
		const cols = spec.columns;
		let order = new Array(n);           /* every row, in the current sort order */
		for (let i = 0; i < n; i++)
			order[i] = i;
		let visible = order;                /* the rows passing the filters, same order */
		let page = 0;
		let sortKey = '';
		let sortDir = 0;                    /* 1 ascending, -1 descending */
		let query = '';
		const searchText = new Array(n);    /* lowercased row text, built when filtering */
		const sortKeys = new Map();         /* column key -> per-row sort key */
		const quickValues = new Map();      /* quick filter id -> checked or select value */

		/* Heading and controls */
		const h = el('h2', '', spec.title + ' ');
		h.appendChild(el('span', 'count', String(n)));
		root.appendChild(h);

		const controls = el('div', 'controls');
		const filter = el('input', 'filter');
		filter.type = 'search';
		filter.id = 'filter-' + spec.name;
		filter.placeholder = 'Filter ' + spec.plural + '\u2026';
		filter.setAttribute('aria-label', 'Filter ' + spec.plural);
		filter.autocomplete = 'off';
		filter.spellcheck = false;
		controls.appendChild(filter);

		for (const q of spec.quick || []) {
			if (q.kind === 'select') {
				const label = el('label', 'quick');
				label.appendChild(document.createTextNode(q.label + ' '));
				const sel = el('select', '');
				sel.id = q.id;
				for (const [value, text] of q.options) {
					const o = el('option', '', text);
					o.value = value;
					sel.appendChild(o);
				}
				quickValues.set(q.id, '');
				sel.addEventListener('change', () => {
					quickValues.set(q.id, sel.value);
					refilter();
				});
				label.appendChild(sel);
				controls.appendChild(label);
			} else {
				const label = el('label', 'quick');
				const box = el('input', '');
				box.type = 'checkbox';
				box.id = q.id;
				quickValues.set(q.id, false);
				box.addEventListener('change', () => {
					quickValues.set(q.id, box.checked);
					refilter();
				});
				label.appendChild(box);
				label.appendChild(document.createTextNode(' ' + q.label));
				controls.appendChild(label);
			}
		}

		const pager = el('div', 'pager');
		const prev = button('prev', '\u2039 Prev');
		const pageSpan = el('span', 'page');
		pageSpan.id = 'page-' + spec.name;
		pageSpan.setAttribute('aria-live', 'polite');
		const next = button('next', 'Next \u203a');
		pager.appendChild(prev);
		pager.appendChild(pageSpan);
		pager.appendChild(next);
		controls.appendChild(pager);
		root.appendChild(controls);

		/* Table */
		const wrap = el('div', 'tablewrap');
		const table = el('table', 'data');
		table.id = 'table-' + spec.name;
		const thead = el('thead');
		const htr = el('tr');
		const ths = new Map();
		for (const c of cols) {
			const th = el('th', c.num ? 'num' : '', c.label);
			th.dataset.col = c.key;
			th.tabIndex = 0;
			th.setAttribute('aria-sort', 'none');
			th.title = 'Sort by ' + c.label;
			ths.set(c.key, th);
			htr.appendChild(th);
		}
		thead.appendChild(htr);
		const tbody = el('tbody');
		const tfoot = el('tfoot');
		const emptyRow = el('tr', 'empty');
		const emptyCell = el('td', '');
		emptyCell.colSpan = Math.max(1, cols.length);
		emptyRow.appendChild(emptyCell);
		tfoot.appendChild(emptyRow);
		table.appendChild(thead);
		table.appendChild(tbody);
		table.appendChild(tfoot);
		wrap.appendChild(table);
		root.appendChild(wrap);

		/* Filtering */
		function rowText(i) {
			let s = searchText[i];
			if (s === undefined) {
				let t = '';
				for (const c of cols)
					t += c.text(i) + '\n';
				s = searchText[i] = t.toLowerCase();
			}
			return s;
		}

		function refilter() {
			const tests = [];
			for (const q of spec.quick || []) {
				const v = quickValues.get(q.id);
				if (q.kind === 'select') {
					if (v !== '')
						tests.push((i) => q.test(i, v));
				} else if (v) {
					tests.push(q.test);
				}
			}
			const text = query;
			if (text === '' && tests.length === 0) {
				visible = order;
			} else {
				const out = [];
				for (let k = 0; k < order.length; k++) {
					const i = order[k];
					let ok = true;
					for (const t of tests)
						if (!t(i)) {
							ok = false;
							break;
						}
					if (ok && (text === '' || rowText(i).indexOf(text) >= 0))
						out.push(i);
				}
				visible = out;
			}
			page = 0;
			render();
		}

		let timer = 0;
		filter.addEventListener('input', () => {
			clearTimeout(timer);
			timer = setTimeout(() => {
				timer = 0;
				const q = filter.value.trim().toLowerCase();
				if (q !== query) {
					query = q;
					refilter();
				}
			}, 150);
		});
		filter.addEventListener('keydown', (ev) => {
			if (ev.key !== 'Enter')
				return;
			clearTimeout(timer);
			timer = 0;
			query = filter.value.trim().toLowerCase();
			refilter();
		});

		/* Sorting */
		function keysFor(c) {
			let k = sortKeys.get(c.key);
			if (k)
				return k;
			k = new Array(n);
			for (let i = 0; i < n; i++) {
				let v = c.sort ? c.sort(i) : c.text(i);
				if (v === undefined || v === '' || Number.isNaN(v))
					v = null;
				k[i] = v;
			}
			sortKeys.set(c.key, k);
			return k;
		}

		function sortBy(key) {
			const c = cols.find((x) => x.key === key);
			if (!c)
				return;
			sortDir = sortKey === key ? -sortDir : 1;
			sortKey = key;
			const k = keysFor(c);
			const dir = sortDir;
			const plain = c.plain === true;
			/* Array.prototype.sort is stable: ties keep the previous order. */
			order = order.slice().sort((a, b) => {
				const x = k[a];
				const y = k[b];
				if (x === null)
					return y === null ? 0 : 1;
				if (y === null)
					return -1;
				let r;
				if (typeof x === 'number' && typeof y === 'number')
					r = x < y ? -1 : x > y ? 1 : 0;
				else if (typeof x === 'number')
					r = -1;
				else if (typeof y === 'number')
					r = 1;
				else if (plain)
					r = x < y ? -1 : x > y ? 1 : 0;
				else
					r = x === y ? 0 : collator.compare(x, y);
				return dir * r;
			});
			for (const [k2, th] of ths)
				th.setAttribute('aria-sort', k2 !== key ? 'none' :
					dir > 0 ? 'ascending' : 'descending');
			refilter();
		}

		function headerOf(target) {
			return target instanceof Element ? target.closest('th[data-col]') : null;
		}
		thead.addEventListener('click', (ev) => {
			const t = headerOf(ev.target);
			if (t)
				sortBy(t.dataset.col);
		});
		thead.addEventListener('keydown', (ev) => {
			if (ev.key !== 'Enter' && ev.key !== ' ')
				return;
			const t = headerOf(ev.target);
			if (t) {
				ev.preventDefault();
				sortBy(t.dataset.col);
			}
		});

		/* Paging */
		prev.addEventListener('click', () => {
			if (page > 0) {
				page--;
				render();
			}
		});
		next.addEventListener('click', () => {
			if ((page + 1) * PAGE_SIZE < visible.length) {
				page++;
				render();
			}
		});

		/* A certificate opens from a row or a cell (delegation: one listener a table). */
		function openFrom(target) {
			const t = target instanceof Element ? target.closest('[data-cert]') : null;
			if (t && tbody.contains(t)) {
				showCert(Number(t.dataset.cert));
				return true;
			}
			return false;
		}
		tbody.addEventListener('click', (ev) => {
			openFrom(ev.target);
		});
		tbody.addEventListener('keydown', (ev) => {
			if (ev.key === 'Enter' && ev.target instanceof HTMLTableRowElement &&
			    openFrom(ev.target))
				ev.preventDefault();
		});

		/* Rendering the current page */
		function buildRow(i) {
			const tr = document.createElement('tr');
			const rc = spec.rowClass ? spec.rowClass(i) : '';
			if (rc)
				tr.className = rc;
			tr.dataset.row = String(i);
			if (spec.rowCert) {
				const c = spec.rowCert(i);
				if (c >= 0) {
					tr.dataset.cert = String(c);
					tr.classList.add('clickable');
					tr.tabIndex = 0;
				}
			}
			for (const c of cols) {
				const td = document.createElement('td');
				td.dataset.col = c.key;
				if (c.build)
					c.build(td, i);
				else
					td.textContent = c.text(i);
				const cl = c.cls ? c.cls(i) : '';
				if (cl)
					td.classList.add(cl);
				if (c.num)
					td.classList.add('num');
				tr.appendChild(td);
			}
			return tr;
		}

		function render() {
			const total = visible.length;
			const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
			if (page >= pages)
				page = pages - 1;
			if (page < 0)
				page = 0;
			const start = page * PAGE_SIZE;
			const end = Math.min(total, start + PAGE_SIZE);
			if (wrap.scrollTop > 0)    /* read before the change: no forced layout */
				wrap.scrollTop = 0;
			const frag = document.createDocumentFragment();
			for (let p = start; p < end; p++)
				frag.appendChild(buildRow(visible[p]));
			tbody.replaceChildren(frag);
			pageSpan.textContent = total === 0 ? '0 of 0' :
				(start + 1) + '-' + end + ' of ' + total;
			prev.disabled = page === 0;
			next.disabled = end >= total;
			tfoot.hidden = total !== 0;
			emptyCell.textContent = (n === 0 ? 'no ' : 'no matching ') + spec.plural;
		}

		render();
	}

	/* A cell holding a button that opens certificate c (delegated click on the tbody). */
	function buildCertCell(td, c, text) {
		if (c < 0)
			return;
		td.dataset.cert = String(c);
		td.classList.add('cert');
		td.appendChild(button('link', text));
	}

	/* ---- the four views ---- */

	const hasCountry = (() => {
		if (!EP.has('country'))
			return false;
		for (let i = 0; i < EP.n; i++)
			if (EP.s(i, 'country') !== '')
				return true;
		return false;
	})();

	function endpointsView() {
		const columns = [
			{ key: 'host', label: 'Host', text: (i) => EP.s(i, 'host') },
			{ key: 'addr', label: 'Address', text: epAddr, sort: epAddrKey,
			  plain: true },
			{ key: 'sni', label: 'SNI', text: (i) => EP.s(i, 'sni') },
			{ key: 'starttls', label: 'STARTTLS', text: (i) => EP.s(i, 'starttls') },
			{ key: 'status', label: 'Status',
			  text: (i) => {
				const e = EP.s(i, 'error');
				const st = EP.s(i, 'status');
				return e !== '' ? st + ' \u00b7 ' + e : st;
			  },
			  sort: (i) => EP.s(i, 'status'),
			  cls: (i) => EP.s(i, 'status') === 'ok' ? 'st-ok' : 'st-bad',
			  build: (td, i) => {
				td.appendChild(document.createTextNode(EP.s(i, 'status')));
				const e = EP.s(i, 'error');
				if (e !== '')
					td.appendChild(el('span', 'sub', e));
			  } },
			{ key: 'version', label: 'Version', text: (i) => EP.s(i, 'version'),
			  cls: (i) => OLD_VERSIONS.has(EP.s(i, 'version')) ? 'weak' : '' },
			{ key: 'cipher', label: 'Cipher', text: (i) => EP.s(i, 'cipher') },
			{ key: 'grade', label: 'Grade', text: (i) => EP.s(i, 'grade'),
			  sort: (i) => {
				const g = GRADE_RANK.get(EP.s(i, 'grade'));
				return g === undefined ? (EP.s(i, 'grade') || null) : g;
			  },
			  cls: (i) => GRADE_CLASS.get(EP.s(i, 'grade')) || '' },
		];
		if (hasCountry)
			columns.push({ key: 'country', label: 'Country',
				text: (i) => EP.s(i, 'country') });
		columns.push(
			{ key: 'cert', label: 'Certificate', text: (i) => certCell(epCert(i)),
			  sort: (i) => {
				const c = epCert(i);
				return c < 0 ? null : certDays(c);
			  },
			  cls: (i) => {
				const c = epCert(i);
				return c < 0 ? '' : daysClass(certDays(c));
			  },
			  build: (td, i) => buildCertCell(td, epCert(i), certCell(epCert(i))) },
			{ key: 'findings', label: 'Findings', num: true,
			  text: (i) => findingsText(epFindings(i)),
			  sort: (i) => findingsKey(epFindings(i)),
			  cls: (i) => findingsClass(epFindings(i)) },
			{ key: 'order', label: 'Order', text: (i) => orderStatus(epOrder(i)) });
		makeView({
			name: 'endpoints', title: 'Endpoints', plural: 'endpoints', n: EP.n,
			columns,
			rowClass: (i) => epNonPref(i) ? 'nonpref' : '',
			quick: [
				{ kind: 'check', id: 'q-endpoints-tls', label: 'TLS only',
				  test: (i) => EP.s(i, 'status') === 'ok' },
				{ kind: 'check', id: 'q-endpoints-problems', label: 'problems only',
				  test: (i) => epFindings(i).length > 0 || epNonPref(i) ||
					EP.f(i, 'verified') === 0 },
			],
		});
	}

	function certsView() {
		const count = (c, name, T) => refs(CE.raw(c, name), T).length;
		const columns = [
			{ key: 'cn', label: 'Common name', text: certCN },
			{ key: 'issuer', label: 'Issuer', text: certIssuer },
			{ key: 'not_after', label: 'Not after',
			  text: (c) => fmtDate(CE.s(c, 'not_after')),
			  sort: (c) => CE.s(c, 'not_after') },
			{ key: 'days', label: 'Days left', num: true,
			  text: (c) => str(certDays(c)), sort: certDays,
			  cls: (c) => daysClass(certDays(c)) },
			{ key: 'key', label: 'Key', text: (c) => CE.s(c, 'key') },
			{ key: 'sig', label: 'Signature', text: (c) => CE.s(c, 'sig') },
			{ key: 'preferred', label: 'Preferred',
			  text: (c) => yesNo(CE.f(c, 'preferred')),
			  cls: (c) => CE.f(c, 'preferred') === 0 ? 'bad' : '' },
			{ key: 'trusted', label: 'Trusted', text: (c) => yesNo(CE.f(c, 'trusted')),
			  cls: (c) => CE.f(c, 'trusted') === 0 ? 'bad' : '' },
			{ key: 'eps', label: 'Endpoints', num: true,
			  text: (c) => String(count(c, 'eps', EP)),
			  sort: (c) => count(c, 'eps', EP) },
			{ key: 'findings', label: 'Findings', num: true,
			  text: (c) => findingsText(refs(CE.raw(c, 'findings'), FI)),
			  sort: (c) => findingsKey(refs(CE.raw(c, 'findings'), FI)),
			  cls: (c) => findingsClass(refs(CE.raw(c, 'findings'), FI)) },
			{ key: 'order', label: 'Order', text: (c) => orderStatus(certOrder(c)) },
		];
		makeView({
			name: 'certs', title: 'Certificates', plural: 'certificates', n: CE.n,
			columns,
			rowClass: (c) => CE.f(c, 'preferred') === 0 ? 'nonpref' : '',
			rowCert: (c) => c,
			quick: [
				{ kind: 'check', id: 'q-certs-nonpref', label: 'non-preferred',
				  test: (c) => CE.f(c, 'preferred') === 0 },
				{ kind: 'check', id: 'q-certs-exp30',
				  label: 'expiring \u226430 days',
				  test: (c) => {
					const d = certDays(c);
					return d !== null && d >= 0 && d <= 30;
				  } },
				{ kind: 'check', id: 'q-certs-expired', label: 'expired',
				  test: (c) => {
					const d = certDays(c);
					return d !== null && d < 0;
				  } },
				{ kind: 'check', id: 'q-certs-leaf', label: 'leaves only',
				  test: (c) => CE.f(c, 'leaf') === 1 },
			],
		});
	}

	function findingsView() {
		const fCert = (f) => ref(FI.raw(f, 'cert'), CE);
		const fEp = (f) => ref(FI.raw(f, 'ep'), EP);
		const columns = [
			{ key: 'severity', label: 'Severity', text: (f) => FI.s(f, 'severity'),
			  /* ascending puts the most severe first */
			  sort: (f) => {
				const r = sevRank(f);
				return r < 0 ? (FI.s(f, 'severity') || null) : 4 - r;
			  },
			  cls: (f) => SEV_CLASS.get(FI.s(f, 'severity')) || '' },
			{ key: 'check', label: 'Check', text: (f) => FI.s(f, 'check') },
			{ key: 'message', label: 'Message', text: (f) => FI.s(f, 'message') },
			{ key: 'ep', label: 'Endpoint', text: (f) => {
				const e = fEp(f);
				return e < 0 ? '' : epLabel(e);
			  },
			  sort: (f) => {
				const e = fEp(f);
				return e < 0 ? null : e;
			  } },
			{ key: 'cert', label: 'Certificate', text: (f) => {
				const c = fCert(f);
				return c < 0 ? '' : certCN(c);
			  },
			  build: (td, f) => {
				const c = fCert(f);
				buildCertCell(td, c, c < 0 ? '' : certCN(c));
			  } },
			{ key: 'status', label: 'Status', text: (f) => FI.s(f, 'status') },
			{ key: 'first_seen', label: 'First seen',
			  text: (f) => fmtTime(FI.raw(f, 'first_seen')),
			  sort: (f) => FI.s(f, 'first_seen') },
		];
		const options = [['', 'all']];
		for (const s of SEVERITIES)
			options.push([s, s]);
		makeView({
			name: 'findings', title: 'Findings', plural: 'findings', n: FI.n, columns,
			quick: [
				{ kind: 'select', id: 'severity-findings', label: 'Severity',
				  options,
				  test: (f, v) => FI.s(f, 'severity') === v },
				{ kind: 'check', id: 'q-findings-open', label: 'open only',
				  test: (f) => FI.s(f, 'status') === 'open' },
			],
		});
	}

	function ordersView() {
		const oCert = (o) => ref(OR.raw(o, 'cert'), CE);
		const columns = [
			{ key: 'id', label: 'Order', num: true, text: (o) => OR.s(o, 'id'),
			  sort: (o) => OR.i(o, 'id') },
			{ key: 'status', label: 'Status', text: (o) => OR.s(o, 'status') },
			{ key: 'ca_state', label: 'CA state', text: (o) => OR.s(o, 'ca_state') },
			{ key: 'cn', label: 'Common name', text: (o) => OR.s(o, 'cn'),
			  build: (td, o) => {
				const c = oCert(o);
				if (c >= 0)
					buildCertCell(td, c, OR.s(o, 'cn') || certCN(c));
				else
					td.textContent = OR.s(o, 'cn');
			  } },
			{ key: 'sans', label: 'SANs', text: (o) => OR.s(o, 'sans') },
			{ key: 'endpoints', label: 'Endpoints', text: (o) => OR.s(o, 'endpoints') },
			{ key: 'updated', label: 'Updated',
			  text: (o) => fmtTime(OR.raw(o, 'updated')),
			  sort: (o) => {
				const v = OR.raw(o, 'updated');
				return isInt(v) ? v : str(v);
			  } },
		];
		makeView({
			name: 'orders', title: 'Orders', plural: 'orders', n: OR.n, columns,
			rowClass: (o) => CLOSED_ORDERS.has(OR.s(o, 'status')) ? 'closed' : '',
			quick: [
				{ kind: 'check', id: 'q-orders-open', label: 'open only',
				  test: (o) => !CLOSED_ORDERS.has(OR.s(o, 'status')) },
			],
		});
	}

	/* A row of links to the four views, above the first one. */
	function jumpNav() {
		const first = document.getElementById('view-endpoints');
		if (!first || !first.parentNode || document.getElementById('cs-jump'))
			return;
		const nav = el('nav', 'jump');
		nav.id = 'cs-jump';
		nav.setAttribute('aria-label', 'Tables');
		const items = [['view-endpoints', 'Endpoints', EP.n],
			['view-certs', 'Certificates', CE.n], ['view-findings', 'Findings', FI.n],
			['view-orders', 'Orders', OR.n]];
		for (const [id, label, count] of items) {
			if (!document.getElementById(id))
				continue;
			const a = el('a', '', label + ' ');
			a.href = '#' + id;     /* a fixed in-page anchor, never data */
			a.appendChild(el('span', 'count', String(count)));
			nav.appendChild(a);
		}
		first.parentNode.insertBefore(nav, first);
	}

	function run(name, f) {
		try {
			f();
		} catch (e) {
			const root = document.getElementById('view-' + name);
			if (root)
				root.appendChild(el('p', 'error',
					'This table could not be shown: ' + str(e)));
			if (typeof console !== 'undefined')
				console.error(e);
		}
	}

	run('endpoints', jumpNav);
	run('endpoints', endpointsView);
	run('certs', certsView);
	run('findings', findingsView);
	run('orders', ordersView);
	if (dataError !== '') {
		const root = document.getElementById('view-endpoints');
		if (root)
			root.insertBefore(el('p', 'error', dataError), root.firstChild);
	}
	window.csReady = true;
})();
