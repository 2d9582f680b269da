/*
 * The console is one static page plus one script, embedded here so the
 * compiled broker (and the Docker image) needs no asset files beside it.
 */

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Brook console</title>
<link rel="stylesheet" href="/vendor/uPlot.css">
<link rel="stylesheet" href="/console.css">
</head>
<body>
<header>
  <h1>Brook</h1>
  <nav>
    <a href="#/" data-nav="overview">Overview</a>
    <a href="#/topics" data-nav="topics">Topics</a>
    <a href="#/groups" data-nav="groups">Consumer groups</a>
    <a href="#/cluster" data-nav="cluster">Cluster</a>
    <a href="#/acls" data-nav="acls">ACLs</a>
    <a href="#/quotas" data-nav="quotas">Quotas</a>
    <a href="#/share-groups" data-nav="share-groups">Share groups</a>
    <a href="#/scheduled" data-nav="scheduled">Scheduled</a>
  </nav>
  <span id="status" data-testid="status">connecting…</span>
  <a id="logout" href="/logout" data-testid="logout">Log out</a>
</header>
<main><div id="view" data-testid="view"></div><div id="actions" data-testid="actions"></div></main>
<script src="/vendor/uPlot.js"></script>
<script src="/console-pages.js"></script>
<script src="/console.js"></script>
</body>
</html>
`;

export const CONSOLE_CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2457d6; --bad: #c0392b; --bg: #f8f9fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0; color: var(--accent); }
nav a { margin-right: 16px; color: var(--fg); text-decoration: none; padding: 4px 0; }
nav a.active { border-bottom: 2px solid var(--accent); font-weight: 600; }
#status { margin-left: auto; color: var(--muted); font-size: 12px; }
#status.error { color: var(--bad); }
main { padding: 20px 24px; max-width: 1200px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; min-width: 150px; }
.card .label { color: var(--muted); font-size: 12px; }
.card .value { font-size: 22px; font-weight: 600; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th { background: #f2f4f7; font-weight: 600; font-size: 12px; color: var(--muted); }
td.num, th.num { text-align: right; }
td.mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; max-width: 480px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.empty { color: var(--muted); padding: 12px 0; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 4px; max-width: 100%; overflow: hidden; }
.scroll { overflow-x: auto; max-width: 100%; }
#logout { font-size: 12px; color: var(--muted); }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; margin-top: 20px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; min-width: 0; }
.panel h3 { font-size: 14px; margin: 0 0 8px; }
.panel.danger h3 { color: var(--bad); }
.field { display: block; margin: 6px 0; }
.field span { display: block; font-size: 12px; color: var(--muted); }
.field input, .field textarea, .field select { width: 100%; padding: 6px; font: inherit; border: 1px solid var(--line); border-radius: 4px; }
.panel button { margin-top: 8px; padding: 6px 14px; background: var(--accent); color: #fff; border: 0; border-radius: 4px; font: inherit; cursor: pointer; }
.panel.danger button { background: var(--bad); }
.result { margin-top: 8px; font-size: 12px; overflow-x: auto; }
.result.error { color: var(--bad); }
@media (max-width: 600px) {
  header { flex-wrap: wrap; gap: 8px; padding: 8px 12px; }
  nav { display: flex; overflow-x: auto; white-space: nowrap; width: 100%; order: 3; }
  main { padding: 12px; }
  .card { min-width: 130px; flex: 1; }
}
`;

/* Plain ES2020 without template literals, so it can live inside this TypeScript template string. */
export const CONSOLE_JS = `
'use strict';
var REFRESH_MS = Number(new URLSearchParams(location.search).get('refresh')) || 2000;
var timer = null;

function el(tag, attrs, children) {
  var e = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (k === 'text') e.textContent = attrs[k];
    else if (k === 'cls') e.className = attrs[k];
    else e.setAttribute(k, attrs[k]);
  }
  (children || []).forEach(function (c) { if (c) e.appendChild(c); });
  return e;
}

function fmtBytes(n) {
  var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  var i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? String(n) : n.toFixed(1)) + ' ' + units[i];
}
function fmtRate(n) { return n < 10 ? n.toFixed(1) : String(Math.round(n)); }
function fmtNum(n) { return Number(n).toLocaleString('en-US'); }

function table(testid, headers, rows, numeric) {
  if (rows.length === 0) return el('div', { cls: 'empty', 'data-testid': testid + '-empty', text: 'Nothing here yet.' });
  var head = el('tr', null, headers.map(function (h, i) { return el('th', { text: h, cls: numeric && numeric[i] ? 'num' : '' }); }));
  var body = rows.map(function (r) {
    return el('tr', null, r.map(function (c, i) {
      if (c instanceof Node) return el('td', null, [c]);
      return el('td', { text: c === null || c === undefined ? '–' : String(c), cls: numeric && numeric[i] ? 'num' : (i === r.length - 1 && headers[i] === 'Value' ? 'mono' : '') });
    }));
  });
  return el('div', { cls: 'scroll' }, [el('table', { 'data-testid': testid }, [el('thead', null, [head]), el('tbody', null, body)])]);
}

function card(label, value, testid) {
  return el('div', { cls: 'card', 'data-testid': testid }, [el('div', { cls: 'label', text: label }), el('div', { cls: 'value', text: value })]);
}

function link(href, text) { return el('a', { href: href, text: text }); }

function api(path) {
  return fetch('/api/' + path).then(function (r) {
    if (r.status === 401) { location.href = '/login'; return new Promise(function () {}); }
    if (r.status === 404) return null;
    if (!r.ok) return httpError(r);
    return r.json();
  });
}

// An error answer as an Error carrying its status; the broker answered, so it is not "unreachable".
function httpError(r) {
  return r.text().then(function (text) {
    var msg = r.status === 403 ? 'not authorized to see this (HTTP 403)' : 'HTTP ' + r.status;
    try { var b = JSON.parse(text); if (b && b.message) msg += ': ' + b.message; } catch (e) { /* not JSON */ }
    var err = new Error(msg);
    err.status = r.status;
    throw err;
  });
}

function catchUp(r) {
  return r.progress.map(function (p) {
    if (p.inSync) return p.replica + ': in sync';
    if (p.logEndOffset === null || r.leaderLogEnd === null) return p.replica + ': catching up (progress on broker ' + r.leader + ')';
    var pct = r.leaderLogEnd > 0 ? Math.floor((100 * p.logEndOffset) / r.leaderLogEnd) : 100;
    return p.replica + ': ' + fmtNum(p.logEndOffset) + ' / ' + fmtNum(r.leaderLogEnd) + ' (' + pct + '%)';
  }).join(', ');
}

var pages = {
  cluster: function () {
    return Promise.all([api('overview'), api('reassignments'), api('cluster')]).then(function (r) {
      var o = r[0], moves = r[1], c = r[2];
      return [
        el('h2', { text: 'Cluster ' + o.clusterId }),
        table('brokers', ['Node', 'Host', 'Port'], o.brokers.map(function (b) { return [b.nodeId, b.host, b.port]; }), [true, false, true]),
        el('h2', { text: 'Reassignments in progress' }),
        table('reassignments', ['Topic', 'Partition', 'Replicas', 'Adding', 'Removing', 'Leader', 'Catch-up'], moves.map(function (m) {
          return [link('#/topics/' + encodeURIComponent(m.topic), m.topic), m.partition, m.replicas.join(','), m.adding.join(','), m.removing.join(','), m.leader, catchUp(m)];
        }), [false, true, false, false, false, true, false]),
        el('h2', { text: 'Partitions (controller ' + c.controllerId + ')' }),
        table('cluster-partitions', ['Topic', 'Partition', 'Leader', 'Replicas', 'In sync'], c.partitions.map(function (p) {
          return [p.topic, p.partition, p.leader < 0 ? 'none' : p.leader, p.replicas.join(', '), p.isr.join(', ')];
        }), [false, true, true, false, false]),
      ];
    });
  },
  overview: function () {
    return Promise.all([api('overview'), api('topics'), api('groups'), api('rates')]).then(function (r) {
      var o = r[0], topics = r[1], groups = r[2];
      return [
        el('h2', { text: 'Cluster ' + o.clusterId }),
        timeChart('rate-chart', 'Messages per second, all topics', rateSeries(r[3])),
        el('div', { cls: 'cards' }, [
          card('Brokers', String(o.brokers.length), 'card-brokers'),
          card('Topics', String(o.topics), 'card-topics'),
          card('Partitions', String(o.partitions), 'card-partitions'),
          card('Data on disk', fmtBytes(o.totalBytes), 'card-bytes'),
          card('Consumer groups', o.groups === null ? '–' : String(o.groups), 'card-groups'),
          card('Memory (RSS)', fmtBytes(o.memoryRssBytes), 'card-memory'),
        ]),
        el('h2', { text: 'Brokers' }),
        table('brokers', ['Node', 'Host', 'Port'], o.brokers.map(function (b) { return [b.nodeId, b.host, b.port]; }), [true, false, true]),
        el('h2', { text: 'Busiest topics' }),
        table('overview-topics', ['Topic', 'Messages', 'In msg/s', 'Out msg/s'], topics.filter(function (t) { return !t.internal; }).slice(0, 10).map(function (t) {
          return [link('#/topics/' + encodeURIComponent(t.name), t.name), fmtNum(t.messages), fmtRate(t.messagesInPerSec), fmtRate(t.messagesOutPerSec)];
        }), [false, true, true, true]),
        el('h2', { text: 'Groups with lag' }),
        table('overview-groups', ['Group', 'State', 'Lag'], groups.filter(function (g) { return g.totalLag > 0; }).map(function (g) {
          return [link('#/groups/' + encodeURIComponent(g.groupId), g.groupId), g.state, fmtNum(g.totalLag)];
        }), [false, false, true]),
      ];
    });
  },
  topics: function () {
    return api('topics').then(function (topics) {
      return [
        el('h2', { text: 'Topics' }),
        table('topics', ['Topic', 'Partitions', 'Messages', 'Size', 'In msg/s', 'Out msg/s', 'In bytes/s'], topics.map(function (t) {
          return [link('#/topics/' + encodeURIComponent(t.name), t.name + (t.internal ? ' (internal)' : '')), t.partitions, fmtNum(t.messages), fmtBytes(t.sizeBytes), fmtRate(t.messagesInPerSec), fmtRate(t.messagesOutPerSec), fmtBytes(Math.round(t.bytesInPerSec)) + '/s'];
        }), [false, true, true, true, true, true, true]),
      ];
    });
  },
  topic: function (name) {
    // DESCRIBE shows the topic, READ its messages: a principal with only the first still sees partitions and configs
    var messages = api('topics/' + encodeURIComponent(name) + '/messages?limit=20').catch(function (e) {
      if (e.status === 403) return 'forbidden';
      throw e;
    });
    return Promise.all([api('topics/' + encodeURIComponent(name)), messages]).then(function (r) {
      var t = r[0], msgs = r[1];
      if (!t) return [el('h2', { text: 'Topic ' + name + ' does not exist', 'data-testid': 'not-found' })];
      var cfg = Object.keys(t.configs).map(function (k) { return k + '=' + t.configs[k]; }).join(', ');
      return [
        el('h2', { text: 'Topic ' + t.name, 'data-testid': 'topic-title' }),
        el('div', { cls: 'empty', 'data-testid': 'topic-configs', text: cfg ? 'Configs: ' + cfg : 'Default configs' }),
        timeChart('rate-chart', 'Messages per second', rateSeries(t.rateHistory)),
        table('partitions', ['Partition', 'Start offset', 'End offset', 'Messages', 'Size', 'Segments'], t.partitions.map(function (p) {
          return [p.partition, fmtNum(p.logStartOffset), fmtNum(p.highWatermark), fmtNum(p.highWatermark - p.logStartOffset), fmtBytes(p.sizeBytes), p.segments];
        }), [true, true, true, true, true, true]),
        el('h2', { text: 'Latest messages' }),
        msgs === 'forbidden' ? el('p', { cls: 'empty', 'data-testid': 'messages-forbidden', text: 'Not authorized to read the messages of this topic (no READ ACL).' }) :
        table('messages', ['Partition', 'Offset', 'Time', 'Key', 'Value'], (msgs || []).map(function (m) {
          return [m.partition, m.offset, new Date(Number(m.timestamp)).toISOString(), m.key, m.value];
        }), [true, true, false, false, false]),
      ];
    });
  },
  groups: function () {
    return api('groups').then(function (groups) {
      return [
        el('h2', { text: 'Consumer groups' }),
        table('groups', ['Group', 'State', 'Members', 'Partitions', 'Total lag'], groups.map(function (g) {
          return [link('#/groups/' + encodeURIComponent(g.groupId), g.groupId), g.state, g.members, g.partitions.length, fmtNum(g.totalLag)];
        }), [false, false, true, true, true]),
      ];
    });
  },
  shareGroups: function () {
    return api('share-groups').then(function (groups) {
      var out = [el('h2', { text: 'Share groups' })];
      if (groups.length === 0) out.push(el('p', { text: 'No share groups.', 'data-testid': 'no-share-groups' }));
      groups.forEach(function (g) {
        out.push(el('h2', { text: 'Share group ' + g.groupId + ' — ' + g.state, 'data-testid': 'share-group-title' }));
        out.push(el('div', { cls: 'cards' }, [
          card('Members', String(g.members.length), 'card-share-members'),
          card('Dead-letter records', g.deadLetterTopic ? fmtNum(g.deadLetterRecords || 0) + ' in ' + g.deadLetterTopic : '–', 'card-dlq'),
        ]));
        out.push(table('share-members', ['Member', 'Client', 'Host', 'Assigned'], g.members.map(function (m) {
          return [m.memberId, m.clientId, m.clientHost, m.assignment.map(function (a) { return a.topic + ':' + a.partitions.join(','); }).join(' ')];
        })));
        out.push(table('share-partitions', ['Topic', 'Partition', 'Start offset', 'Log end', 'In flight', 'Acquired', 'Acquirable', 'Backing off', 'Undelivered'], g.partitions.map(function (p) {
          return [p.topic, p.partition, fmtNum(p.startOffset), fmtNum(p.logEndOffset), fmtNum(p.inFlight), fmtNum(p.acquired), fmtNum(p.acquirable), fmtNum(p.delayed), fmtNum(p.undelivered)];
        }), [false, true, true, true, true, true, true, true, true]));
      });
      return out;
    });
  },
  group: function (id) {
    return api('groups/' + encodeURIComponent(id)).then(function (g) {
      if (!g) return [el('h2', { text: 'Group ' + id + ' does not exist', 'data-testid': 'not-found' })];
      return [
        el('h2', { text: 'Group ' + g.groupId + ' — ' + g.state, 'data-testid': 'group-title' }),
        el('div', { cls: 'cards' }, [card('Total lag', fmtNum(g.totalLag), 'card-lag'), card('Members', String(g.memberList.length), 'card-members')]),
        el('h2', { text: 'Lag over time' }),
        timeChart('lag-chart', 'Lag', [{ label: 'lag', points: g.lagHistory.map(function (h) { return { at: h.at, v: h.lag }; }) }]),
        el('h2', { text: 'Members' }),
        table('members', ['Member', 'Client', 'Host'], g.memberList.map(function (m) { return [m.memberId, m.clientId, m.clientHost]; })),
        el('h2', { text: 'Partitions' }),
        table('lag', ['Topic', 'Partition', 'Committed', 'End offset', 'Lag'], g.partitions.map(function (p) {
          return [p.topic, p.partition, fmtNum(p.committed), fmtNum(p.endOffset), fmtNum(p.lag)];
        }), [false, true, true, true, true]),
      ];
    });
  },
};

function route() {
  var parts = location.hash.replace(/^#\\/?/, '').split('/').map(decodeURIComponent);
  var none = function () { return []; };
  if (parts[0] === 'topics' && parts[1]) return { nav: 'topics', render: function () { return pages.topic(parts[1]); }, actions: function () { return topicActions(parts[1]); } };
  if (parts[0] === 'topics') return { nav: 'topics', render: pages.topics, actions: topicsActions };
  if (parts[0] === 'groups' && parts[1]) return { nav: 'groups', render: function () { return pages.group(parts[1]); }, actions: function () { return groupActions(parts[1]); } };
  if (parts[0] === 'groups') return { nav: 'groups', render: pages.groups, actions: none };
  if (parts[0] === 'cluster') return { nav: 'cluster', render: pages.cluster, actions: none };
  if (parts[0] === 'share-groups') return { nav: 'share-groups', render: pages.shareGroups, actions: none };
  if (extraPages[parts[0]]) return { nav: parts[0], render: extraPages[parts[0]], actions: none };
  return { nav: 'overview', render: pages.overview, actions: none };
}

var generation = 0;
function refresh() {
  var r = route();
  var mine = ++generation;
  document.querySelectorAll('nav a').forEach(function (a) { a.classList.toggle('active', a.getAttribute('data-nav') === r.nav); });
  var status = document.getElementById('status');
  r.render().then(function (nodes) {
    if (mine !== generation) return;
    var view = document.getElementById('view');
    view.replaceChildren.apply(view, nodes);
    status.className = '';
    status.textContent = 'updated ' + new Date().toLocaleTimeString();
    status.setAttribute('data-updated', String(Date.now()));
  }).catch(function (e) {
    if (mine !== generation) return;
    // what was shown is no longer true: leave no stale view behind, and say what happened
    var view = document.getElementById('view');
    var msg = e.status ? e.message : 'broker unreachable: ' + e.message;
    view.replaceChildren(el('p', { cls: 'error', 'data-testid': 'view-error', text: msg }));
    status.className = 'error';
    status.textContent = msg;
  });
}

function schedule() {
  clearInterval(timer);
  // Forms live outside the refreshing view, so a refresh never wipes what someone is typing.
  var actions = document.getElementById('actions');
  actions.replaceChildren.apply(actions, route().actions());
  refresh();
  timer = setInterval(refresh, REFRESH_MS);
}
window.addEventListener('hashchange', schedule);
schedule();
`;
