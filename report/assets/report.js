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
 * Scale: with 100,000 endpoint rows a keystroke costs one pass over an array of indices (fewer
 * when typing on: a longer query only looks at the rows the shorter one found). The lowercased
 * text of each row is built once, in idle time after the first render (or at once, when a filter
 * comes first). A header click is a counting sort of the indices by integer ranks: each
 * column's keys are ranked once, on its first sort (the collator compares each distinct string
 * with a neighbour, and sorts them only when no cheap order is right). A page is 100 rows of DOM.
 *
 * Plain ES2020, no libraries, no modules. The file must never contain a closing script tag or
 * an HTML comment opener, since it is embedded inline.
 */
(function () {
	'use strict';

	const PAGE_SIZE = 100;
	const FILTER_DELAY_MS = 80;       /* the filter waits this long after the last keystroke */
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
	 * added, removed or reordered columns never shift values. Each accessor is bound to one
	 * column, its position resolved once when the accessor is made (not on every cell read),
	 * and returns a reader of row i. Readers never throw: a missing column or a value of the
	 * wrong type reads as empty.
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
		/* the raw value (undefined when missing) */
		function raw(name) {
			const k = index.get(name);
			if (k === undefined)
				return () => undefined;
			return (i) => r[i][k];
		}
		return {
			n: r.length,
			has: (name) => index.has(name),
			raw: raw,
			/* the value as text ('' when missing or null) */
			s: (name) => {
				const get = raw(name);
				return (i) => str(get(i));
			},
			/* an integer, or null */
			i: (name) => {
				const get = raw(name);
				return (i) => {
					const v = get(i);
					return isInt(v) ? v : null;
				};
			},
			/* a flag 1, 0 or -1 (anything else: -1) */
			f: (name) => {
				const get = raw(name);
				return (i) => {
					const v = get(i);
					return v === 1 || v === 0 ? v : -1;
				};
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
	/* The fields read below, each a reader of row i (makeTable). */
	const ep = {
		host: EP.s('host'), ip: EP.s('ip'), port: EP.s('port'), sni: EP.s('sni'),
		starttls: EP.s('starttls'), status: EP.s('status'), error: EP.s('error'),
		version: EP.s('version'), cipher: EP.s('cipher'), grade: EP.s('grade'),
		country: EP.s('country'), verified: EP.f('verified'), preferred: EP.f('preferred'),
		cert: EP.raw('cert'), findings: EP.raw('findings'), order: EP.raw('order'),
		owner: EP.s('owner'), unit: EP.s('unit'), site: EP.s('site'), source: EP.s('source'),
		city: EP.s('city'), asn: EP.s('asn'), org: EP.s('org'),
		passiveOnly: EP.f('passive_only'),
	};
	const ce = {
		sha256: CE.s('sha256'), cn: CE.s('cn'), subject: CE.s('subject'),
		issuer: CE.s('issuer'), issuer_cn: CE.s('issuer_cn'),
		issuer_org: CE.s('issuer_org'), sans: CE.s('sans'), serial: CE.s('serial'),
		not_before: CE.s('not_before'), not_after: CE.s('not_after'), days: CE.i('days'),
		key: CE.s('key'), sig: CE.s('sig'), preferred: CE.f('preferred'),
		trusted: CE.f('trusted'), leaf: CE.f('leaf'), self_signed: CE.f('self_signed'),
		chain: CE.raw('chain'), eps: CE.raw('eps'), findings: CE.raw('findings'),
		order: CE.raw('order'),
	};
	const fi = {
		check: FI.s('check'), severity: FI.s('severity'), status: FI.s('status'),
		message: FI.s('message'), ep: FI.raw('ep'), cert: FI.raw('cert'),
		first_seen: FI.raw('first_seen'),
	};
	const or = {
		id: OR.s('id'), idNum: OR.i('id'), status: OR.s('status'),
		ca_state: OR.s('ca_state'), cn: OR.s('cn'), sans: OR.s('sans'),
		endpoints: OR.s('endpoints'), updated: OR.raw('updated'), cert: OR.raw('cert'),
		eps: OR.raw('eps'),
	};
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
	const epCert = (i) => ref(ep.cert(i), CE);
	const epOrder = (i) => ref(ep.order(i), OR);
	const epFindings = (i) => refs(ep.findings(i), FI);
	function epAddr(i) {
		const ip = ep.ip(i);
		const port = ep.port(i);
		let host = ep.host(i);
		if (ip !== '')
			host = ip.indexOf(':') >= 0 ? '[' + ip + ']' : ip;
		return port !== '' ? host + ':' + port : host;
	}
	/*
	 * For ip four runs of 1 to 3 ASCII digits joined by dots (IPv4): '4' and one character per
	 * number, its value as the character code, so that the text sorts as the numbers do; else
	 * ''. (By hand: this runs once per row on the first sort by address, and makes one short
	 * string.)
	 */
	function v4Key(ip) {
		const len = ip.length;
		if (len < 7 || len > 15)
			return '';
		let key = '4';
		let parts = 0;                     /* numbers done */
		let v = 0;                         /* the current number, */
		let w = 0;                         /* its digits */
		for (let j = 0; j <= len; j++) {
			const c = j < len ? ip.charCodeAt(j) : 46;   /* a dot after the end */
			if (c === 46) {
				if (w === 0 || parts === 4)
					return '';
				key += String.fromCharCode(v);
				parts++;
				v = 0;
				w = 0;
			} else if (c >= 48 && c <= 57 && w < 3) {
				v = v * 10 + c - 48;
				w++;
			} else {
				return '';
			}
		}
		return parts === 4 ? key : '';
	}

	/*
	 * A key that sorts addresses (by code unit): IPv4 ('4...') before IPv6 ('6 ...') before
	 * names ('9 ...'), then numerically, then by port (its last 5 digits, with leading zeros),
	 * then by SNI. Within each class the keys have the same layout, so the class character
	 * decides between classes and the rest within one.
	 */
	function epAddrKey(i) {
		const ip = ep.ip(i);
		const p = ep.port(i);
		const port = p.length >= 5 ? p.slice(-5) : '00000'.slice(p.length) + p;
		const sni = ep.sni(i).toLowerCase();
		const v4 = v4Key(ip);
		if (v4 !== '')
			return v4 + port + ' ' + sni;
		let key = '';
		if (/^[0-9a-fA-F:.]+$/.test(ip) && ip.indexOf(':') >= 0) {
			/* expand "::" to zero groups (an embedded IPv4 tail is left as it is) */
			const halves = ip.toLowerCase().split('::');
			const head = halves[0] ? halves[0].split(':') : [];
			const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
			const fill = Math.max(0, 8 - head.length - tail.length);
			const groups = head.concat(new Array(fill).fill('0'), tail);
			key = '6 ' + groups.map((g) => ('0000' + g).slice(-4)).join(':');
		} else {
			key = '9 ' + (ip || ep.host(i)).toLowerCase();
		}
		return key + ' ' + port + ' ' + sni;
	}
	function epLabel(i) {
		const sni = ep.sni(i);
		return sni !== '' ? epAddr(i) + ' (' + sni + ')' : epAddr(i);
	}
	function epNonPref(i) {
		const c = epCert(i);
		return ep.preferred(i) === 0 || (c >= 0 && ce.preferred(c) === 0);
	}

	/* Certificates */
	const certDays = (c) => ce.days(c);
	const certOrder = (c) => ref(ce.order(c), OR);
	function certCN(c) {
		const cn = ce.cn(c);
		if (cn !== '')
			return cn;
		const subject = ce.subject(c);
		if (subject !== '')
			return subject;
		const sha = ce.sha256(c);
		return sha !== '' ? 'sha256 ' + sha.slice(0, 16) : '(no name)';
	}
	function certIssuer(c) {
		return ce.issuer_org(c) || ce.issuer_cn(c) || ce.issuer(c);
	}
	/* "CN · 75d left"; made once per certificate (many endpoints share one) */
	const certCells = new Array(CE.n);
	function certCell(c) {
		if (c < 0)
			return '';
		let t = certCells[c];
		if (t === undefined) {
			const d = daysText(certDays(c));
			t = certCells[c] = d !== '' ? certCN(c) + ' \u00b7 ' + d : certCN(c);
		}
		return t;
	}

	/* Findings */
	const sevRanks = new Int8Array(FI.n).fill(-2);    /* sevRank of each finding, -2 not yet */
	/* the rank of finding f's severity (SEV_RANK), -1 for an unknown one */
	function sevRank(f) {
		let r = sevRanks[f];
		if (r === -2) {
			const x = SEV_RANK.get(fi.severity(f));
			r = sevRanks[f] = x === undefined ? -1 : x;
		}
		return r;
	}
	/*
	 * The findings of a row, v its list of findings indices as in the data block (invalid
	 * entries are skipped, as refs() does), as one number: how many * 8 + 1 + the highest
	 * severity rank among them (-1 when none is known). findingsCount and findingsWorst take it
	 * apart; the severity of that rank is SEVERITIES[4 - worst].
	 */
	function findingsCode(v) {
		let n = 0;
		let worst = -1;
		if (Array.isArray(v))
			for (const f of v) {
				if (!isInt(f) || f < 0 || f >= FI.n)
					continue;
				n++;
				const r = sevRank(f);
				if (r > worst)
					worst = r;
			}
		return n * 8 + worst + 1;
	}
	const findingsCount = (code) => Math.floor(code / 8);
	const findingsWorst = (code) => code % 8 - 1;
	/* "0", "3", "3 high"; one string per code, made once */
	const findingsTexts = new Map();
	function findingsText(v) {
		const code = findingsCode(v);
		let t = findingsTexts.get(code);
		if (t === undefined) {
			const n = findingsCount(code);
			const worst = findingsWorst(code);
			t = n === 0 ? '0' : worst < 0 ? String(n) : n + ' ' + SEVERITIES[4 - worst];
			findingsTexts.set(code, t);
		}
		return t;
	}
	function findingsClass(v) {
		const code = findingsCode(v);
		const worst = findingsWorst(code);
		if (findingsCount(code) === 0 || worst < 0)
			return '';
		return SEV_CLASS.get(SEVERITIES[4 - worst]);
	}
	function findingsKey(v) {
		const code = findingsCode(v);
		const n = findingsCount(code);
		return n === 0 ? 0 : (findingsWorst(code) + 1) * 1e7 + n;
	}

	function orderStatus(o) {
		return o >= 0 ? or.status(o) : '';
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
		const h = el('h2', ce.preferred(c) === 0 ? 'nonpref' : '', certCN(c));
		const close = button('close', '\u2715');
		close.setAttribute('aria-label', 'Close');
		close.title = 'Close (Esc)';
		head.appendChild(h);
		head.appendChild(close);
		aside.appendChild(head);

		const dl = el('dl', 'props');
		dlRow(dl, 'Common name', ce.cn(c));
		dlRow(dl, 'Subject', ce.subject(c));
		dlRow(dl, 'Issuer', ce.issuer(c));
		if (CE.has('serial'))
			dlRow(dl, 'Serial', ce.serial(c), 'mono');
		dlRow(dl, 'SHA-256', ce.sha256(c), 'mono');
		dlRow(dl, 'Not before', ce.not_before(c));
		dlRow(dl, 'Not after', ce.not_after(c));
		const days = certDays(c);
		dlRow(dl, 'Days left', days === null ? '' : String(days), daysClass(days));
		dlRow(dl, 'Key', ce.key(c));
		dlRow(dl, 'Signature', ce.sig(c));
		const pref = ce.preferred(c);
		dlRow(dl, 'Preferred CA', pref === -1 ? 'unknown' : yesNo(pref),
			pref === 0 ? 'bad' : '');
		const trusted = ce.trusted(c);
		dlRow(dl, 'Trusted', trusted === -1 ? 'unknown' : yesNo(trusted),
			trusted === 0 ? 'bad' : '');
		const roles = [];
		if (ce.leaf(c) === 1)
			roles.push('leaf');
		if (ce.self_signed(c) === 1)
			roles.push('self-signed');
		if (roles.length)
			dlRow(dl, 'Role', roles.join(', '));
		aside.appendChild(dl);

		/* SANs */
		const sans = ce.sans(c).split(/\s+/).filter((s) => s !== '');
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
		const chain = refs(ce.chain(c), CE);
		aside.appendChild(el('h3', '', 'Chain (' + chain.length + ' above it)'));
		if (chain.length === 0) {
			aside.appendChild(el('p', 'none', 'nothing above it was presented'));
		} else {
			const ol = el('ol', 'chain');
			for (const k of chain) {
				const li = el('li', '');
				li.appendChild(certLink(k, certCN(k)));
				const na = fmtDate(ce.not_after(k)) || '\u2014';
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
		const eps = refs(ce.eps(c), EP);
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
				tr.appendChild(el('td', '', ep.sni(e)));
				const st = ep.status(e);
				tr.appendChild(el('td', st === 'ok' ? 'st-ok' : 'st-bad', st));
				tr.appendChild(el('td', GRADE_CLASS.get(ep.grade(e)) || '',
					ep.grade(e)));
				tb.appendChild(tr);
			}
			t.appendChild(tb);
			aside.appendChild(t);
			if (eps.length > MAX_DETAIL_ITEMS)
				aside.appendChild(el('p', 'more', moreText(eps.length)));
		}

		/* Findings with their fixes */
		const fl = refs(ce.findings(c), FI);
		aside.appendChild(el('h3', '', 'Findings (' + fl.length + ')'));
		if (fl.length === 0) {
			aside.appendChild(el('p', 'none', 'none'));
		} else {
			const ul = el('ul', 'findings');
			for (const f of fl.slice(0, MAX_DETAIL_ITEMS)) {
				const li = el('li', '');
				const sev = fi.severity(f);
				const sc = SEV_CLASS.get(sev) || '';
				li.appendChild(el('span', sc !== '' ? 'sev ' + sc : 'sev', sev));
				li.appendChild(el('code', 'check', fi.check(f)));
				const e = ref(fi.ep(f), EP);
				if (e >= 0)
					li.appendChild(el('span', 'sub', epLabel(e)));
				if (fi.status(f) !== '' && fi.status(f) !== 'open')
					li.appendChild(el('span', 'sub', fi.status(f)));
				li.appendChild(el('p', 'msg', fi.message(f)));
				const fix = fixFor(fi.check(f));
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
			dlRow(od, 'Order', '#' + or.id(o));
			dlRow(od, 'Status', or.status(o));
			dlRow(od, 'CA state', or.ca_state(o));
			dlRow(od, 'Updated', fmtTime(or.updated(o)));
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

	/* ---- background work ---- */

	/*
	 * Work for idle time after the first render (each view's search text): a queue of steps,
	 * run in order; a step does a slice of its work (a millisecond or two) and returns true
	 * while more is left. A run (requestIdleCallback, or a timer without it) lasts
	 * IDLE_SLICE_MS at most, and less when the browser's idle deadline comes first, so a click
	 * or a keystroke never waits longer than that. Whoever needs a step's result before it is
	 * done finishes the work synchronously; the step then finds nothing left and returns false.
	 */
	const IDLE_SLICE_MS = 15;
	const IDLE_ROWS = 1000;            /* rows of search text a step builds */
	const idleSteps = [];

	function idleRun(deadline) {
		const idle = deadline && !deadline.didTimeout &&
			typeof deadline.timeRemaining === 'function';
		const stop = performance.now() + IDLE_SLICE_MS;
		while (idleSteps.length > 0) {
			if (!idleSteps[0]())
				idleSteps.shift();
			if (performance.now() >= stop || (idle && deadline.timeRemaining() <= 0))
				break;
		}
		if (idleSteps.length > 0)
			idleSchedule();
	}

	function idleSchedule() {
		if (typeof window.requestIdleCallback === 'function')
			window.requestIdleCallback(idleRun, { timeout: 100 });
		else
			setTimeout(idleRun, 0);
	}

	function whenIdle(step) {
		idleSteps.push(step);
		if (idleSteps.length === 1)
			idleSchedule();
	}

	/* ---- sorting ---- */

	/* A sort key that counts as empty (sorted last either way). */
	function emptyKey(v) {
		return v === undefined || v === null || v === '' || Number.isNaN(v);
	}

	/*
	 * A text whose code unit order is close to the collator's order, as a cheap head start for
	 * sorting by the collator (never the order itself): lowercase, and each run of digits as a
	 * character for its length (without leading zeros, at most 9) then its digits, so that "x9"
	 * comes before "x10".
	 */
	function collateHint(s) {
		const t = s.toLowerCase();
		let out = '';
		let done = 0;                      /* t up to here is in out */
		for (let j = 0; j < t.length; j++) {
			let c = t.charCodeAt(j);
			if (c < 48 || c > 57)
				continue;
			out += t.slice(done, j);
			while (c === 48 && j + 1 < t.length && isDigitAt(t, j + 1))
				c = t.charCodeAt(++j);      /* leading zeros */
			let e = j + 1;
			while (e < t.length && isDigitAt(t, e))
				e++;
			out += String.fromCharCode(48 + Math.min(e - j, 9)) + t.slice(j, e);
			done = e;
			j = e - 1;
		}
		return done === 0 ? t : out + t.slice(done);
	}

	function isDigitAt(t, j) {
		const c = t.charCodeAt(j);
		return c >= 48 && c <= 57;
	}

	/*
	 * Compares each string of strs with the one before it: same[j] = 1 when strs[j] collates
	 * equal to strs[j - 1], else 0. With stopEarly it returns false at the first pair out of
	 * order (same then incomplete); otherwise it fills all of same (a pair out of order counts
	 * as different) and returns true.
	 */
	function collateNeighbours(strs, same, stopEarly) {
		for (let j = 1; j < strs.length; j++) {
			const c = collator.compare(strs[j - 1], strs[j]);
			if (c > 0 && stopEarly)
				return false;
			same[j] = c === 0 ? 1 : 0;
		}
		return true;
	}

	/*
	 * Ranks the sort keys of a column once, so that each sort after that is a counting sort of
	 * integers: returns {rank, count}, rank an Int32Array with rank[i] in [0, count) ordering
	 * row i's key key(i) (rows with equal keys share a rank) and -1 for an empty key. The
	 * order: numbers before strings (any other value counts as its text); numbers by value;
	 * strings by the numeric-aware, case-insensitive collator (strings it calls equal share a
	 * rank), or by code unit when plain.
	 */
	function rankKeys(n, key, plain) {
		const keys = new Array(n);
		for (let i = 0; i < n; i++) {
			const v = key(i);
			keys[i] = emptyKey(v) ? null :
				typeof v === 'number' || typeof v === 'string' ? v : String(v);
		}
		return plain ? rankPlain(keys) : rankCollated(keys);
	}

	/* numbers before strings, numbers by value, strings by code unit */
	function plainCompare(x, y) {
		const nx = typeof x === 'number';
		if (nx !== (typeof y === 'number'))
			return nx ? -1 : 1;
		return x < y ? -1 : x > y ? 1 : 0;
	}

	/*
	 * rankKeys by code unit. Plain columns (addresses) have mostly distinct keys that often
	 * come sorted already: the rows are sorted by key (linear when they are in order) and
	 * ranked by walking them.
	 */
	function rankPlain(keys) {
		const n = keys.length;
		const rank = new Int32Array(n).fill(-1);
		const rows = [];
		for (let i = 0; i < n; i++)
			if (keys[i] !== null)
				rows.push(i);
		rows.sort((a, b) => plainCompare(keys[a], keys[b]));
		let r = -1;
		for (let j = 0; j < rows.length; j++) {
			if (j === 0 || plainCompare(keys[rows[j - 1]], keys[rows[j]]) !== 0)
				r++;
			rank[rows[j]] = r;
		}
		return { rank: rank, count: r + 1 };
	}

	/*
	 * rankKeys with the collator. Each distinct key is ranked once (columns like names or
	 * issuers repeat their keys a lot), and the collator compares the distinct strings in an
	 * order that is usually right already: one comparison per neighbour checks it and also
	 * finds the equal ones. They are sorted with the collator only when none of those orders is
	 * right.
	 */
	function rankCollated(keys) {
		const n = keys.length;
		const rank = new Int32Array(n);     /* first the index into vals, then the rank */
		const ids = new Map();              /* distinct key -> index into vals */
		const vals = [];                    /* the distinct keys */
		for (let i = 0; i < n; i++) {
			const v = keys[i];
			if (v === null) {
				rank[i] = -1;
				continue;
			}
			let d = ids.get(v);
			if (d === undefined) {
				d = vals.length;
				vals.push(v);
				ids.set(v, d);
			}
			rank[i] = d;
		}
		const nums = [];
		const strs = [];
		for (const v of vals)
			(typeof v === 'number' ? nums : strs).push(v);
		nums.sort((x, y) => x < y ? -1 : x > y ? 1 : 0);
		const rankOf = new Int32Array(vals.length);
		let r = 0;
		for (const v of nums)
			rankOf[ids.get(v)] = r++;
		if (strs.length > 0) {
			/*
			 * strs is in the order of first appearance, which often is the order
			 * already (the rows came sorted); failing that, code unit order or
			 * collateHint order often is. Each is checked (a pass that stops at the
			 * first pair out of order) before the next is tried; the last resort sorts
			 * by the collator, from the collateHint order.
			 */
			const same = new Uint8Array(strs.length);
			let ok = collateNeighbours(strs, same, true);
			if (!ok) {
				strs.sort();
				ok = collateNeighbours(strs, same, true);
			}
			if (!ok) {
				const hinted = strs.map((v) => ({ v: v, h: collateHint(v) }));
				hinted.sort((x, y) => x.h < y.h ? -1 : x.h > y.h ? 1 : 0);
				for (let j = 0; j < strs.length; j++)
					strs[j] = hinted[j].v;
				ok = collateNeighbours(strs, same, true);
			}
			if (!ok) {
				strs.sort(collator.compare);
				collateNeighbours(strs, same, false);
			}
			rankOf[ids.get(strs[0])] = r;
			for (let j = 1; j < strs.length; j++)
				rankOf[ids.get(strs[j])] = same[j] ? r : ++r;
			r++;
		}
		for (let i = 0; i < n; i++)
			if (rank[i] >= 0)
				rank[i] = rankOf[rank[i]];
		return { rank: rank, count: r };
	}

	/*
	 * src (row indices) sorted by ranks (rankKeys), ascending (dir 1) or descending (-1), rows
	 * of empty keys last either way. A counting sort: stable, so rows of equal rank keep their
	 * order in src. Returns a new array.
	 */
	function sortByRank(src, ranks, dir) {
		const rank = ranks.rank;
		const count = ranks.count;
		const next = new Int32Array(count); /* per rank: its count, then its next place */
		for (let p = 0; p < src.length; p++) {
			const k = rank[src[p]];
			if (k >= 0)
				next[k]++;
		}
		let at = 0;
		for (let j = 0; j < count; j++) {
			const k = dir > 0 ? j : count - 1 - j;
			const c = next[k];
			next[k] = at;
			at += c;
		}
		const out = new Array(src.length);
		for (let p = 0; p < src.length; p++) {
			const i = src[p];
			const k = rank[i];
			out[k >= 0 ? next[k]++ : at++] = i;
		}
		return out;
	}

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
		const searchText = new Array(n);    /* lowercased text of rows below textBuilt */
		let textBuilt = 0;
		const sortRanks = new Map();        /* column key -> its ranks (rankKeys) */
		/* what visible was filtered from: the order, the query and the quick filters */
		let shown = { order: order, query: '', quick: '' };
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
		const texts = cols.map((c) => c.text);
		const parts = new Array(texts.length + 1).fill('');   /* a row's cells, then '' */
		/*
		 * The search text of the rows up to (not including) row upto: each cell's text and
		 * a newline, lowercased (join makes one flat string, not a chain of pieces to
		 * flatten).
		 */
		function buildText(upto) {
			for (; textBuilt < upto; textBuilt++) {
				const i = textBuilt;
				for (let c = 0; c < texts.length; c++)
					parts[c] = texts[c](i);
				searchText[i] = parts.join('\n').toLowerCase();
			}
		}

		/*
		 * visible: the rows of order that pass the quick filters and whose search text
		 * holds the query. When only the query changed and the new one contains the one
		 * visible was filtered with (typing on), the rows can only be among visible: it
		 * filters those.
		 */
		function refilter() {
			const tests = [];
			const quick = [];
			for (const q of spec.quick || []) {
				const v = quickValues.get(q.id);
				quick.push(v);
				if (q.kind === 'select') {
					if (v !== '')
						tests.push((i) => q.test(i, v));
				} else if (v) {
					tests.push(q.test);
				}
			}
			const text = query;
			const quickKey = JSON.stringify(quick);
			if (text === '' && tests.length === 0) {
				visible = order;
			} else {
				const from = shown.order === order && shown.quick === quickKey &&
					text.indexOf(shown.query) >= 0 ? visible : order;
				if (text !== '')
					buildText(n);
				const out = [];
				for (let k = 0; k < from.length; k++) {
					const i = from[k];
					let ok = true;
					for (const t of tests)
						if (!t(i)) {
							ok = false;
							break;
						}
					if (ok && (text === '' || searchText[i].indexOf(text) >= 0))
						out.push(i);
				}
				visible = out;
			}
			shown = { order: order, query: text, quick: quickKey };
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
			}, FILTER_DELAY_MS);
		});
		filter.addEventListener('keydown', (ev) => {
			if (ev.key !== 'Enter')
				return;
			clearTimeout(timer);
			timer = 0;
			query = filter.value.trim().toLowerCase();
			refilter();
		});

		/* Sorting: ascending, then descending; stable, so ties keep the previous order. */
		function sortBy(key) {
			const c = cols.find((x) => x.key === key);
			if (!c)
				return;
			sortDir = sortKey === key ? -sortDir : 1;
			sortKey = key;
			let ranks = sortRanks.get(key);
			if (!ranks) {
				ranks = rankKeys(n, c.sort || c.text, c.plain === true);
				sortRanks.set(key, ranks);
			}
			order = sortByRank(order, ranks, sortDir);
			for (const [k2, th] of ths)
				th.setAttribute('aria-sort', k2 !== key ? 'none' :
					sortDir > 0 ? 'ascending' : 'descending');
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
		whenIdle(() => {
			buildText(Math.min(n, textBuilt + IDLE_ROWS));
			return textBuilt < n;
		});
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
			if (ep.country(i) !== '')
				return true;
		return false;
	})();

	/* Owner columns appear when an owner database was used, the source column when a capture
	 * was read (certsweep sniff). */
	const anyEp = (pred) => {
		for (let i = 0; i < EP.n; i++)
			if (pred(i))
				return true;
		return false;
	};
	const hasOwner = EP.has('owner') && anyEp((i) => ep.owner(i) !== '');
	const hasAsn = EP.has('asn') && anyEp((i) => ep.asn(i) !== '');
	const hasPassive = EP.has('source') && anyEp((i) => ep.source(i) === 'passive');
	/* "Payments · Retail · Frankfurt" */
	function ownerText(i) {
		if (i < 0)
			return '';
		return [ep.owner(i), ep.unit(i), ep.site(i)].filter((v) => v !== '').join(' \u00b7 ');
	}
	function sourceText(i) {
		if (ep.passiveOnly(i) === 1)
			return 'traffic only';
		return ep.source(i);
	}
	/* The distinct owners of an order's endpoints. */
	function orderOwners(o) {
		const v = or.eps(o);
		const seen = [];
		if (!Array.isArray(v))
			return '';
		for (const x of v) {
			const e = ref(x, EP);
			const w = e < 0 ? '' : ep.owner(e);
			if (w !== '' && !seen.includes(w))
				seen.push(w);
		}
		return seen.join(', ');
	}

	function endpointsView() {
		const columns = [
			{ key: 'host', label: 'Host', text: (i) => ep.host(i) },
			{ key: 'addr', label: 'Address', text: epAddr, sort: epAddrKey,
			  plain: true },
			{ key: 'sni', label: 'SNI', text: (i) => ep.sni(i) },
			{ key: 'starttls', label: 'STARTTLS', text: (i) => ep.starttls(i) },
			{ key: 'status', label: 'Status',
			  text: (i) => {
				const e = ep.error(i);
				const st = ep.status(i);
				return e !== '' ? st + ' \u00b7 ' + e : st;
			  },
			  sort: (i) => ep.status(i),
			  cls: (i) => ep.status(i) === 'ok' ? 'st-ok' : 'st-bad',
			  build: (td, i) => {
				td.appendChild(document.createTextNode(ep.status(i)));
				const e = ep.error(i);
				if (e !== '')
					td.appendChild(el('span', 'sub', e));
			  } },
			{ key: 'version', label: 'Version', text: (i) => ep.version(i),
			  cls: (i) => OLD_VERSIONS.has(ep.version(i)) ? 'weak' : '' },
			{ key: 'cipher', label: 'Cipher', text: (i) => ep.cipher(i) },
			{ key: 'grade', label: 'Grade', text: (i) => ep.grade(i),
			  sort: (i) => {
				const g = GRADE_RANK.get(ep.grade(i));
				return g === undefined ? (ep.grade(i) || null) : g;
			  },
			  cls: (i) => GRADE_CLASS.get(ep.grade(i)) || '' },
		];
		if (hasCountry)
			columns.push({ key: 'country', label: 'Country',
				text: (i) => [ep.country(i), ep.city(i)].filter((v) => v !== '')
					.join(' \u00b7 ') });
		if (hasAsn)
			columns.push({ key: 'asn', label: 'Network',
				text: (i) => [ep.asn(i), ep.org(i)].filter((v) => v !== '').join(' ') });
		if (hasOwner)
			columns.push({ key: 'owner', label: 'Owner', text: ownerText });
		if (hasPassive)
			columns.push({ key: 'source', label: 'Seen by', text: sourceText,
				cls: (i) => ep.passiveOnly(i) === 1 ? 'warn' : '' });
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
			  text: (i) => findingsText(ep.findings(i)),
			  sort: (i) => findingsKey(ep.findings(i)),
			  cls: (i) => findingsClass(ep.findings(i)) },
			{ key: 'order', label: 'Order', text: (i) => orderStatus(epOrder(i)) });
		makeView({
			name: 'endpoints', title: 'Endpoints', plural: 'endpoints', n: EP.n,
			columns,
			rowClass: (i) => epNonPref(i) ? 'nonpref' : '',
			quick: [
				{ kind: 'check', id: 'q-endpoints-tls', label: 'TLS only',
				  test: (i) => ep.status(i) === 'ok' },
				{ kind: 'check', id: 'q-endpoints-problems', label: 'problems only',
				  test: (i) => epFindings(i).length > 0 || epNonPref(i) ||
					ep.verified(i) === 0 },
			],
		});
	}

	function certsView() {
		const epCount = (c) => refs(ce.eps(c), EP).length;
		const columns = [
			{ key: 'cn', label: 'Common name', text: certCN },
			{ key: 'issuer', label: 'Issuer', text: certIssuer },
			{ key: 'not_after', label: 'Not after',
			  text: (c) => fmtDate(ce.not_after(c)),
			  sort: (c) => ce.not_after(c) },
			{ key: 'days', label: 'Days left', num: true,
			  text: (c) => str(certDays(c)), sort: certDays,
			  cls: (c) => daysClass(certDays(c)) },
			{ key: 'key', label: 'Key', text: (c) => ce.key(c) },
			{ key: 'sig', label: 'Signature', text: (c) => ce.sig(c) },
			{ key: 'preferred', label: 'Preferred',
			  text: (c) => yesNo(ce.preferred(c)),
			  cls: (c) => ce.preferred(c) === 0 ? 'bad' : '' },
			{ key: 'trusted', label: 'Trusted', text: (c) => yesNo(ce.trusted(c)),
			  cls: (c) => ce.trusted(c) === 0 ? 'bad' : '' },
			{ key: 'eps', label: 'Endpoints', num: true,
			  text: (c) => String(epCount(c)),
			  sort: epCount },
			{ key: 'findings', label: 'Findings', num: true,
			  text: (c) => findingsText(ce.findings(c)),
			  sort: (c) => findingsKey(ce.findings(c)),
			  cls: (c) => findingsClass(ce.findings(c)) },
			{ key: 'order', label: 'Order', text: (c) => orderStatus(certOrder(c)) },
		];
		makeView({
			name: 'certs', title: 'Certificates', plural: 'certificates', n: CE.n,
			columns,
			rowClass: (c) => ce.preferred(c) === 0 ? 'nonpref' : '',
			rowCert: (c) => c,
			quick: [
				{ kind: 'check', id: 'q-certs-nonpref', label: 'non-preferred',
				  test: (c) => ce.preferred(c) === 0 },
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
				  test: (c) => ce.leaf(c) === 1 },
			],
		});
	}

	function findingsView() {
		const fCert = (f) => ref(fi.cert(f), CE);
		const fEp = (f) => ref(fi.ep(f), EP);
		const columns = [
			{ key: 'severity', label: 'Severity', text: (f) => fi.severity(f),
			  /* ascending puts the most severe first */
			  sort: (f) => {
				const r = sevRank(f);
				return r < 0 ? (fi.severity(f) || null) : 4 - r;
			  },
			  cls: (f) => SEV_CLASS.get(fi.severity(f)) || '' },
			{ key: 'check', label: 'Check', text: (f) => fi.check(f) },
			{ key: 'message', label: 'Message', text: (f) => fi.message(f) },
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
			{ key: 'status', label: 'Status', text: (f) => fi.status(f) },
			{ key: 'first_seen', label: 'First seen',
			  text: (f) => fmtTime(fi.first_seen(f)),
			  sort: (f) => str(fi.first_seen(f)) },
		];
		if (hasOwner)
			columns.push({ key: 'owner', label: 'Owner', text: (f) => ownerText(fEp(f)) });
		const options = [['', 'all']];
		for (const s of SEVERITIES)
			options.push([s, s]);
		makeView({
			name: 'findings', title: 'Findings', plural: 'findings', n: FI.n, columns,
			quick: [
				{ kind: 'select', id: 'severity-findings', label: 'Severity',
				  options,
				  test: (f, v) => fi.severity(f) === v },
				{ kind: 'check', id: 'q-findings-open', label: 'open only',
				  test: (f) => fi.status(f) === 'open' },
			],
		});
	}

	function ordersView() {
		const oCert = (o) => ref(or.cert(o), CE);
		const columns = [
			{ key: 'id', label: 'Order', num: true, text: (o) => or.id(o),
			  sort: (o) => or.idNum(o) },
			{ key: 'status', label: 'Status', text: (o) => or.status(o) },
			{ key: 'ca_state', label: 'CA state', text: (o) => or.ca_state(o) },
			{ key: 'cn', label: 'Common name', text: (o) => or.cn(o),
			  build: (td, o) => {
				const c = oCert(o);
				if (c >= 0)
					buildCertCell(td, c, or.cn(o) || certCN(c));
				else
					td.textContent = or.cn(o);
			  } },
			{ key: 'sans', label: 'SANs', text: (o) => or.sans(o) },
			{ key: 'endpoints', label: 'Endpoints', text: (o) => or.endpoints(o) },
			{ key: 'updated', label: 'Updated',
			  text: (o) => fmtTime(or.updated(o)),
			  sort: (o) => {
				const v = or.updated(o);
				return isInt(v) ? v : str(v);
			  } },
		];
		if (hasOwner)
			columns.push({ key: 'owner', label: 'Owners', text: orderOwners });
		makeView({
			name: 'orders', title: 'Orders', plural: 'orders', n: OR.n, columns,
			rowClass: (o) => CLOSED_ORDERS.has(or.status(o)) ? 'closed' : '',
			quick: [
				{ kind: 'check', id: 'q-orders-open', label: 'open only',
				  test: (o) => !CLOSED_ORDERS.has(or.status(o)) },
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
