/*
 * The console's charts (uPlot from npm), forms and the cluster/ACL/quota
 * pages. Loaded before console.js, whose helpers (el, table, api, fmtNum,
 * link) these functions call at run time. Plain ES2020 without template
 * literals, so it can live inside this TypeScript template string.
 */
export const CONSOLE_PAGES_JS = `
'use strict';

/** A time series chart; the wrapper carries the latest value for tests and screen readers. */
function timeChart(testid, title, series) {
  var first = series[0].points;
  var last = first.length ? first[first.length - 1].v : 0;
  var box = el('div', { cls: 'chart', 'data-testid': testid, 'data-last': String(Math.round(last * 10) / 10), 'data-count': String(first.length), 'aria-label': title + ': ' + last });
  if (first.length === 0) { box.appendChild(el('div', { cls: 'empty', text: 'no samples yet' })); return box; }
  var xs = first.map(function (p) { return p.at / 1000; });
  var data = [xs].concat(series.map(function (s) { return s.points.map(function (p) { return p.v; }); }));
  var colors = ['#2457d6', '#e07b24', '#2a9d4b'];
  var width = Math.max(280, Math.min(900, (document.getElementById('view').clientWidth || 640) - 8));
  var opts = {
    width: width, height: 200, legend: { show: true },
    scales: { x: { time: true } },
    series: [{}].concat(series.map(function (s, i) { return { label: s.label, stroke: colors[i % colors.length], width: 2, points: { show: false } }; })),
    axes: [{}, { size: 60 }],
  };
  // uPlot measures its container; draw once it is in the document.
  setTimeout(function () { if (box.isConnected) new uPlot(opts, data, box); }, 0);
  return box;
}

function rateSeries(history) {
  return [
    { label: 'in msg/s', points: history.map(function (h) { return { at: h.at, v: h.messagesIn }; }) },
    { label: 'out msg/s', points: history.map(function (h) { return { at: h.at, v: h.messagesOut }; }) },
  ];
}

function send(method, path, body) {
  return fetch(path, { method: method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(function (r) {
    return r.text().then(function (t) {
      var j = null;
      try { j = t ? JSON.parse(t) : null; } catch (e) { j = { message: t }; }
      if (!r.ok) throw new Error((j && j.message) || ('HTTP ' + r.status));
      return j;
    });
  });
}

function field(label, name, attrs) {
  var input = el(attrs && attrs.tag === 'textarea' ? 'textarea' : (attrs && attrs.tag === 'select' ? 'select' : 'input'), Object.assign({ name: name, id: 'f-' + name, 'data-testid': 'f-' + name }, attrs && attrs.input || {}));
  if (attrs && attrs.options) attrs.options.forEach(function (o) { input.appendChild(el('option', { value: o, text: o })); });
  return el('label', { cls: 'field' }, [el('span', { text: label }), input]);
}

/** A form whose submit runs \`action(values)\` and shows its result (or error) under it. */
function form(testid, title, fields, button, action) {
  var out = el('div', { cls: 'result', 'data-testid': testid + '-result', role: 'status' });
  var f = el('form', { cls: 'panel', 'data-testid': testid }, [el('h3', { text: title })].concat(fields).concat([el('button', { type: 'submit', text: button, 'data-testid': testid + '-submit' }), out]));
  f.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var values = {};
    new FormData(f).forEach(function (v, k) { values[k] = v; });
    out.className = 'result';
    out.textContent = 'working…';
    // A check that throws at once lands in catch too.
    new Promise(function (resolve) { resolve(action(values, out)); }).then(function (msg) {
      if (typeof msg === 'string') out.textContent = msg;
      out.className = 'result ok';
    }).catch(function (e) { out.className = 'result error'; out.textContent = e.message; });
  });
  return f;
}

// name=value pairs, one per line: a value may hold commas (cleanup.policy=compact,delete; a header a,b)
function headersFrom(text) {
  var h = {};
  (text || '').split(/\\r?\\n/).forEach(function (line) {
    var i = line.indexOf('=');
    if (i > 0) h[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  });
  return h;
}

function topicActions(name) {
  var enc = encodeURIComponent(name);
  var search = form('search', 'Find messages', [
    field('Partition', 'partition', { input: { inputmode: 'numeric', placeholder: 'all' } }),
    field('From offset', 'offset', { input: { inputmode: 'numeric', placeholder: 'newest' } }),
    field('From time', 'from', { input: { placeholder: '2024-01-31T12:00:00Z' } }),
    field('To time', 'to', { input: { placeholder: '2024-01-31T13:00:00Z' } }),
    field('Key', 'key', {}),
    field('Value contains', 'text', {}),
  ], 'Search', function (v, out) {
    var q = new URLSearchParams();
    Object.keys(v).forEach(function (k) { if (v[k] !== '') q.set(k, v[k]); });
    return send('GET', '/api/topics/' + enc + '/search?' + q.toString()).then(function (r) {
      out.replaceChildren(
        el('div', { 'data-testid': 'search-summary', text: r.messages.length + ' found, ' + (r.keyIndex ? 'from the key index (' + r.keyIndex.batchesRead + ' batches read)' : r.scanned + ' scanned') + (r.truncated ? ' (more may exist: narrow the search)' : '') }),
        table('search-results', ['Partition', 'Offset', 'Time', 'Key', 'Headers', 'Value'], r.messages.map(function (m) {
          return [m.partition, el('a', { href: '#/trace/' + enc + '/' + m.partition + '/' + m.offset, text: m.offset, title: 'trace this message', 'data-testid': 'trace-link' }), new Date(Number(m.timestamp)).toISOString(), m.key, Object.keys(m.headers).map(function (k) { return k + '=' + m.headers[k]; }).join(', '), m.value];
        }), [true, true, false, false, false, false]));
    });
  });
  var produce = form('produce', 'Produce a message', [
    field('Partition', 'partition', { input: { inputmode: 'numeric', placeholder: 'by key' } }),
    field('Key', 'key', {}),
    field('Headers (name=value, one per line)', 'headers', { tag: 'textarea', input: { rows: '2' } }),
    field('Value', 'value', { tag: 'textarea', input: { rows: '3' } }),
  ], 'Produce', function (v) {
    return send('POST', '/api/topics/' + enc + '/produce', { partition: v.partition === '' ? undefined : Number(v.partition), key: v.key, value: v.value, headers: headersFrom(v.headers) }).then(function (r) {
      return 'written to partition ' + r.partition + ' at offset ' + r.offset;
    });
  });
  var configs = form('configs', 'Change configs', [
    field('Set (name=value, one per line)', 'set', { tag: 'textarea', input: { rows: '2', placeholder: 'retention.ms=86400000' } }),
    field('Reset to default (names, comma-separated)', 'reset', {}),
  ], 'Apply', function (v) {
    var del = (v.reset || '').split(',').map(function (s) { return s.trim(); }).filter(Boolean);
    return send('POST', '/api/topics/' + enc + '/configs', { set: headersFrom(v.set), delete: del }).then(function () { return 'configs changed'; });
  });
  var remove = form('delete-topic', 'Delete this topic', [field('Type the topic name to confirm', 'confirm', {})], 'Delete', function (v) {
    if (v.confirm !== name) throw new Error('the name does not match');
    return send('DELETE', '/api/topics/' + enc).then(function () { location.hash = '#/topics'; return 'deleted'; });
  });
  remove.classList.add('danger');
  return [el('div', { cls: 'panels' }, [search, produce, configs, remove])];
}

function topicsActions() {
  return [el('div', { cls: 'panels' }, [form('create-topic', 'Create a topic', [
    field('Name', 'name', { input: { required: 'required' } }),
    field('Partitions', 'partitions', { input: { inputmode: 'numeric', value: '1' } }),
    field('Replication factor', 'rf', { input: { inputmode: 'numeric', placeholder: 'broker default' } }),
    field('Configs (name=value, one per line)', 'configs', { tag: 'textarea', input: { rows: '2' } }),
  ], 'Create', function (v) {
    var cfg = headersFrom(v.configs);
    return send('POST', '/api/topics', { topic_name: v.name, partitions_count: Number(v.partitions || 1), replication_factor: v.rf === '' ? undefined : Number(v.rf), configs: Object.keys(cfg).map(function (k) { return { name: k, value: cfg[k] }; }) }).then(function (t) {
      return 'created ' + t.topic_name + ' with ' + t.partitions_count + ' partition(s)';
    });
  })])];
}

function groupActions(id) {
  return [el('div', { cls: 'panels' }, [form('reset', 'Reset offsets', [
    field('Topic', 'topic', { input: { required: 'required' } }),
    field('To', 'to', { tag: 'select', options: ['earliest', 'latest', 'offset', 'datetime'] }),
    field('Offset', 'offset', { input: { inputmode: 'numeric' } }),
    field('Time', 'datetime', { input: { placeholder: '2024-01-31T12:00:00Z' } }),
  ], 'Reset', function (v) {
    return send('POST', '/api/groups/' + encodeURIComponent(id) + '/reset', { topic: v.topic, to: v.to, offset: v.offset === '' ? undefined : Number(v.offset), datetime: v.datetime || undefined }).then(function (r) {
      return 'reset ' + r.partitions.map(function (p) { return r.topic + '-' + p.partition + ' to ' + p.offset; }).join(', ');
    });
  })])];
}

var extraPages = {
  scheduled: function () {
    return api('scheduled').then(function (v) {
      if (!v.enabled) return [el('h2', { text: 'Scheduled records' }), el('div', { cls: 'empty', 'data-testid': 'scheduled-disabled', text: 'Scheduled delivery is not served in cluster mode yet.' })];
      return [
        el('h2', { text: 'Scheduled records', 'data-testid': 'scheduled-title' }),
        el('div', { cls: 'cards' }, [card('Pending', fmtNum(v.pending), 'card-scheduled-pending')]),
        table('scheduled-topics', ['Topic', 'Pending', 'Delivered since start'], v.topics.map(function (t) {
          return [link('#/topics/' + encodeURIComponent(t.topic), t.topic), fmtNum(t.pending), fmtNum(t.delivered)];
        }), [false, true, true]),
        el('h2', { text: 'Next due' }),
        table('scheduled-next', ['Id', 'Due', 'Topic', 'Partition', 'Key', 'Schedule id'], v.next.map(function (n) {
          return [n.id, new Date(n.due).toISOString(), n.topic, n.partition, n.key === null ? '–' : n.key, n.scheduleId === null ? '–' : n.scheduleId];
        })),
      ];
    });
  },
  // #/trace/<topic>/<partition>/<offset>: one message's timeline (src/trace)
  trace: function () {
    var parts = location.hash.replace(/^#\\/?/, '').split('/').map(decodeURIComponent);
    var q = 'partition=' + encodeURIComponent(parts[2] || '0') + '&offset=' + encodeURIComponent(parts[3] || '');
    return api('topics/' + encodeURIComponent(parts[1] || '') + '/trace?' + q).then(function (r) {
      if (!r || !r.traces.length) return [el('div', { cls: 'empty', 'data-testid': 'trace-none', text: 'No such message.' })];
      var t = r.traces[0];
      var p = t.producer;
      return [
        el('h2', { 'data-testid': 'trace-title', text: 'Trace of ' + t.topic + '-' + t.partition + ' @ ' + t.offset }),
        el('div', { cls: 'cards' }, [
          card('Key', t.key === null ? '–' : t.key, 'trace-key'),
          card('Producer client id', p ? String(p.clientId) : (t.traceEnabled ? 'not recorded' : 'trace off'), 'trace-client'),
          card('Principal', p ? p.principal : '–', 'trace-principal'),
          card('Producer id / epoch', p ? p.producerId + ' / ' + p.producerEpoch : '–', 'trace-pid'),
          card('Transactional id', p && p.transactionalId ? p.transactionalId : '–', 'trace-txn'),
        ]),
        el('h3', { text: 'Timeline' }),
        el('ol', { cls: 'timeline', 'data-testid': 'trace-timeline' }, t.timeline.map(function (e) {
          return el('li', { 'data-kind': e.kind }, [el('span', { cls: 'mono', text: (e.at === null ? 'time unknown' : new Date(e.at).toISOString()) + '  ' }), el('b', { text: e.kind + ' ' }), el('span', { text: e.detail })]);
        })),
        el('h3', { text: 'Consumer groups' }),
        table('trace-groups', ['Group', 'Committed offset', 'Commit time', 'Consumed past it'], t.groups.map(function (g) {
          return [g.group, g.committedOffset, g.commitTimestamp === null ? null : new Date(g.commitTimestamp).toISOString(), g.consumedPast ? 'yes' : 'no'];
        })),
        el('h3', { text: 'Value (preview)' }),
        el('pre', { cls: 'mono', 'data-testid': 'trace-value', text: t.valuePreview === null ? 'null' : t.valuePreview }),
      ];
    });
  },
  acls: function () {
    return api('acls').then(function (a) {
      return [
        el('h2', { text: 'ACLs', 'data-testid': 'acls-title' }),
        a.enabled ? table('acls', ['Principal', 'Permission', 'Operation', 'Resource', 'Name', 'Pattern', 'Host'], a.acls.map(function (x) {
          return [x.principal, x.permission, x.operation, x.resourceType, x.resourceName, x.patternType, x.host];
        })) : el('div', { cls: 'empty', 'data-testid': 'acls-disabled', text: 'No authorizer is configured (authorizer.class.name): every principal may do everything.' }),
      ];
    });
  },
  quotas: function () {
    return api('quotas').then(function (q) {
      return [
        el('h2', { text: 'Client quotas', 'data-testid': 'quotas-title' }),
        table('quotas', ['Entity', 'Quotas'], q.map(function (x) { return [x.entity, Object.keys(x.values).map(function (k) { return k + '=' + x.values[k]; }).join(', ')]; })),
      ];
    });
  },
};
`;
