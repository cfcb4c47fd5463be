/**
 * The monitor page: one self-contained HTML document and one script, served by the backend. No build step and
 * no CDN, so it works on an offline wall screen. Dark, high-contrast, numbers large enough to read across a room.
 * The script relies on `applyEvent`, `measuredPace` and `abandonmentRate` from snapshot.ts, prepended as plain JS.
 */

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

export function monitorPageHtml(portalId: string, basePath: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Autodial · Live monitor</title>
<link rel="icon" href="data:,">
<style>
  :root {
    --bg: #0b1220; --card: #121b2e; --card-2: #18233a; --line: #26324a; --text: #eef3fb; --muted: #a9b6cc;
    --ok: #34d399; --warn: #fbbf24; --bad: #f87171; --accent: #60a5fa;
    font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font-size: 18px; line-height: 1.35; }
  header.top { display: flex; align-items: center; gap: 1.25rem; padding: 1rem 1.5rem; border-bottom: 1px solid var(--line); }
  header.top h1 { font-size: 1.5rem; margin: 0; font-weight: 700; letter-spacing: .01em; }
  header.top .portal { color: var(--muted); }
  header.top .spacer { flex: 1; }
  .conn { display: inline-flex; align-items: center; gap: .5rem; padding: .35rem .9rem; border-radius: 999px;
    font-weight: 600; background: var(--card-2); border: 1px solid var(--line); }
  .conn::before { content: ""; width: .75rem; height: .75rem; border-radius: 50%; background: var(--muted); }
  body[data-connection="live"] .conn::before { background: var(--ok); box-shadow: 0 0 0 4px rgba(52,211,153,.2); }
  body[data-connection="lost"] .conn::before { background: var(--bad); }
  .clock { color: var(--muted); font-variant-numeric: tabular-nums; }
  #lost { display: none; margin: 1rem 1.5rem 0; padding: 1rem 1.25rem; border-radius: 10px; background: #3b1219;
    border: 2px solid var(--bad); color: #ffe4e6; font-size: 1.35rem; font-weight: 700; }
  body[data-connection="lost"] #lost { display: block; }
  body[data-connection="lost"] main { opacity: .55; }
  main { padding: 1rem 1.5rem 2rem; display: grid; gap: 1.25rem; }
  .empty { color: var(--muted); font-size: 1.4rem; padding: 3rem 0; text-align: center; }
  section.campaign { background: var(--card); border: 1px solid var(--line); border-radius: 14px; padding: 1.1rem 1.25rem 1.25rem; }
  section.campaign > header { display: flex; align-items: baseline; gap: .9rem; flex-wrap: wrap; margin-bottom: .9rem; }
  section.campaign h2 { margin: 0; font-size: 1.6rem; }
  .badge { font-size: .85rem; font-weight: 700; text-transform: uppercase; letter-spacing: .06em; padding: .2rem .6rem;
    border-radius: 6px; background: var(--card-2); border: 1px solid var(--line); color: var(--muted); }
  .badge.active { color: #052e1c; background: var(--ok); border-color: var(--ok); }
  .badge.paused, .badge.overdue { color: #3a2600; background: var(--warn); border-color: var(--warn); }
  .badge.canceled { color: #fff; background: #b91c1c; border-color: #b91c1c; }
  .cid { color: var(--muted); font-size: .9rem; }
  .counters { display: grid; grid-template-columns: repeat(auto-fit, minmax(8.5rem, 1fr)); gap: .6rem; }
  .tile { background: var(--card-2); border-radius: 10px; padding: .6rem .8rem; border-top: 4px solid var(--line); }
  .tile .label { display: block; color: var(--muted); font-size: .95rem; font-weight: 600; text-transform: uppercase; letter-spacing: .05em; }
  .tile .value { display: block; font-size: 2.6rem; font-weight: 800; font-variant-numeric: tabular-nums; line-height: 1.1; }
  .tile.queued { border-top-color: #94a3b8; } .tile.dialing { border-top-color: var(--accent); }
  .tile.live { border-top-color: #22d3ee; } .tile.reached { border-top-color: var(--ok); }
  .tile.retrying { border-top-color: var(--warn); } .tile.failed { border-top-color: var(--bad); }
  .tile.skipped, .tile.dnc, .tile.removed { border-top-color: #a78bfa; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: .6rem; margin-top: .8rem; }
  .kpi { background: var(--card-2); border-radius: 10px; padding: .7rem .9rem; }
  .kpi .label { color: var(--muted); font-weight: 600; font-size: .95rem; text-transform: uppercase; letter-spacing: .05em; }
  .kpi .value { font-size: 1.9rem; font-weight: 800; font-variant-numeric: tabular-nums; }
  .kpi .sub { color: var(--muted); font-size: 1rem; }
  .meter { height: .6rem; background: #0b1220; border-radius: 999px; overflow: hidden; margin-top: .4rem; }
  .meter > span { display: block; height: 100%; background: var(--accent); }
  .kpi.warn .value { color: var(--warn); } .kpi.bad .value { color: var(--bad); } .kpi.good .value { color: var(--ok); }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr)); gap: .8rem; margin-top: .8rem; }
  figure { margin: 0; background: var(--card-2); border-radius: 10px; padding: .7rem .9rem; }
  figcaption { color: var(--muted); font-weight: 600; font-size: .95rem; text-transform: uppercase; letter-spacing: .05em; margin-bottom: .3rem; }
  svg text { fill: var(--muted); font-size: 12px; }
  .legend { display: flex; flex-wrap: wrap; gap: .35rem .9rem; margin-top: .35rem; font-size: .9rem; color: var(--muted); }
  .legend i { display: inline-block; width: .8rem; height: .8rem; border-radius: 3px; margin-right: .35rem; vertical-align: -1px; }
  .lower { display: grid; grid-template-columns: 2fr 1fr; gap: .8rem; margin-top: .8rem; }
  @media (max-width: 900px) { .lower { grid-template-columns: 1fr; } }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
  th { color: var(--muted); font-weight: 600; font-size: .9rem; text-transform: uppercase; letter-spacing: .05em; }
  td.status-in-progress { color: #22d3ee; font-weight: 700; }
  .alerts { list-style: none; margin: 0; padding: 0; }
  .alerts li { padding: .4rem .6rem; border-radius: 8px; margin-bottom: .35rem; background: #2a2110; color: #fde68a; }
  .alerts li.error { background: #3b1219; color: #fecdd3; }
  .muted { color: var(--muted); }
</style>
</head>
<body data-connection="connecting">
<header class="top">
  <h1>Autodial · Live monitor</h1>
  <span class="portal">Portal ${escapeHtml(portalId)}</span>
  <span class="spacer"></span>
  <span class="clock" id="clock" aria-label="Engine time of the last event"></span>
  <span class="conn" id="conn" role="status" aria-live="polite">Connecting…</span>
</header>
<div id="lost" role="alert">Connection lost — retrying… <span class="muted" id="lost-detail"></span></div>
<main id="campaigns" aria-label="Campaigns"><p class="empty">Loading…</p></main>
<script src="${escapeHtml(basePath)}/app.js" defer></script>
</body>
</html>`;
}

/** Browser code (plain ES2017, no template literals so it can live in this TS string). */
export const monitorClientScript = String.raw`
(function () {
  'use strict';
  var base = location.pathname.replace(/\/+$/, '');
  var state = null;
  var source = null;
  var retryTimer = null;
  var retryDelayMs = 1000;
  var renderQueued = false;
  var COUNTERS = [
    ['queued', 'Queued'], ['dialing', 'Dialing'], ['live', 'Live'], ['reached', 'Reached'],
    ['retrying', 'Retrying'], ['failed', 'Failed'], ['skipped', 'Skipped'], ['dnc', 'Do not call'], ['removed', 'Removed']
  ];
  var OUTCOME_COLORS = {
    CONNECTED: '#34d399', CONFIRMED: '#10b981', LEFT_LIVE_MESSAGE: '#2dd4bf', LEFT_VOICEMAIL: '#60a5fa',
    NO_ANSWER: '#94a3b8', BUSY: '#fbbf24', FAILED: '#f87171', WRONG_NUMBER: '#fb923c', DECLINED: '#c084fc',
    CALLBACK_REQUESTED: '#facc15', DO_NOT_CALL: '#f43f5e'
  };
  var OUTCOME_LABELS = {
    CONNECTED: 'Connected', CONFIRMED: 'Confirmed', LEFT_LIVE_MESSAGE: 'Message to person', LEFT_VOICEMAIL: 'Voicemail',
    NO_ANSWER: 'No answer', BUSY: 'Busy', FAILED: 'Failed', WRONG_NUMBER: 'Wrong number', DECLINED: 'Declined',
    CALLBACK_REQUESTED: 'Callback', DO_NOT_CALL: 'Do not call'
  };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; });
  }
  function fmtTime(t) {
    return t ? new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : '';
  }
  function fmtNum(n) { return Number(n).toLocaleString(); }

  function setConnection(mode, detail) {
    document.body.setAttribute('data-connection', mode);
    var conn = document.getElementById('conn');
    conn.textContent = mode === 'live' ? 'Live' : mode === 'lost' ? 'Connection lost — retrying…' : 'Connecting…';
    document.getElementById('lost-detail').textContent = detail || '';
  }

  function connect() {
    retryTimer = null;
    fetch(base + '/snapshot', { cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('snapshot answered HTTP ' + res.status);
        return res.json();
      })
      .then(function (snapshot) {
        state = snapshot;
        scheduleRender();
        source = new EventSource(base + '/events?after=' + encodeURIComponent(state.lastEventId));
        source.addEventListener('open', function () {
          retryDelayMs = 1000;
          setConnection('live');
        });
        source.addEventListener('engine', function (message) {
          state = applyEvent(state, JSON.parse(message.data));
          scheduleRender();
        });
        source.addEventListener('monitor-error', function () {
          setConnection('lost', '(the backend cannot read the event stream)');
        });
        source.onerror = function () { lost('(event stream closed)'); };
      })
      .catch(function (error) { lost('(' + error.message + ')'); });
  }

  function lost(detail) {
    if (source) { source.close(); source = null; }
    setConnection('lost', detail);
    if (retryTimer) return;
    retryTimer = setTimeout(connect, retryDelayMs);
    retryDelayMs = Math.min(retryDelayMs * 2, 10000);
  }

  function scheduleRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(function () { renderQueued = false; render(); });
  }

  function barChart(buckets, now, bucketMs, maxBuckets, stacked, title) {
    var W = 600, H = 180, L = 36, B = 22, T = 8;
    var end = Math.floor(now / bucketMs) * bucketMs;
    var start = end - (maxBuckets - 1) * bucketMs;
    var byStart = {};
    buckets.forEach(function (b) { byStart[b.start] = b; });
    var totals = [];
    for (var i = 0; i < maxBuckets; i++) {
      var b = byStart[start + i * bucketMs];
      var v = 0;
      if (b) {
        if (stacked) { for (var k in b.outcomes) v += b.outcomes[k]; } else { v = b.attempts; }
      }
      totals.push(v);
    }
    var max = Math.max(1, Math.max.apply(null, totals));
    var slot = (W - L) / maxBuckets;
    var bw = Math.max(2, slot * 0.72);
    var total = totals.reduce(function (a, b) { return a + b; }, 0);
    var out = '<svg viewBox="0 0 ' + W + ' ' + H + '" width="100%" role="img" aria-label="' + esc(title + ': ' + total + ' in the last ' + maxBuckets + ' intervals, peak ' + max) + '">';
    for (var g = 0; g <= 2; g++) {
      var gy = T + (H - T - B) * (1 - g / 2);
      out += '<line x1="' + L + '" x2="' + W + '" y1="' + gy + '" y2="' + gy + '" stroke="#26324a" stroke-width="1"/>';
      out += '<text x="' + (L - 6) + '" y="' + (gy + 4) + '" text-anchor="end">' + Math.round((max * g) / 2) + '</text>';
    }
    for (var j = 0; j < maxBuckets; j++) {
      var bucket = byStart[start + j * bucketMs];
      if (!bucket) continue;
      var x = L + j * slot + (slot - bw) / 2;
      var y = H - B;
      var parts = stacked ? Object.keys(OUTCOME_COLORS).map(function (d) { return [d, bucket.outcomes[d] || 0]; }) : [['attempts', bucket.attempts]];
      parts.forEach(function (p) {
        if (!p[1]) return;
        var h = ((H - T - B) * p[1]) / max;
        y -= h;
        out += '<rect x="' + x.toFixed(1) + '" y="' + y.toFixed(1) + '" width="' + bw.toFixed(1) + '" height="' + h.toFixed(1) + '" rx="2" fill="' + (stacked ? OUTCOME_COLORS[p[0]] : '#60a5fa') + '"><title>' + esc((stacked ? OUTCOME_LABELS[p[0]] : 'Attempts') + ' at ' + fmtTime(bucket.start) + ': ' + p[1]) + '</title></rect>';
      });
    }
    [0, Math.floor(maxBuckets / 2), maxBuckets - 1].forEach(function (idx, n) {
      var tx = L + idx * slot + slot / 2;
      out += '<text x="' + tx + '" y="' + (H - 5) + '" text-anchor="' + (n === 0 ? 'start' : n === 2 ? 'end' : 'middle') + '">' + esc(fmtTime(start + idx * bucketMs)) + '</text>';
    });
    return out + '</svg>';
  }

  function kpi(label, value, sub, tone, meterPct) {
    return '<div class="kpi ' + (tone || '') + '"><div class="label">' + esc(label) + '</div><div class="value">' + esc(value) + '</div>' +
      (sub ? '<div class="sub">' + esc(sub) + '</div>' : '') +
      (meterPct === undefined ? '' : '<div class="meter" aria-hidden="true"><span style="width:' + Math.min(100, Math.max(0, meterPct)).toFixed(0) + '%"></span></div>') + '</div>';
  }

  function renderCampaign(c, s) {
    var html = '<section class="campaign" aria-labelledby="h-' + esc(c.campaignId) + '" data-campaign="' + esc(c.campaignId) + '">';
    html += '<header><h2 id="h-' + esc(c.campaignId) + '">' + esc(c.name) + '</h2><span class="badge ' + esc(c.status) + '">' + esc(c.status) + '</span><span class="cid">' + esc(c.campaignId) + '</span></header>';
    html += '<div class="counters">';
    COUNTERS.forEach(function (pair) {
      html += '<div class="tile ' + pair[0] + '"><span class="label">' + pair[1] + '</span><span class="value" data-counter="' + pair[0] + '">' + fmtNum(c.counters[pair[0]] || 0) + '</span></div>';
    });
    html += '</div><div class="kpis">';
    var pace = measuredPace(c, s.at, s.paceWindowMs);
    if (c.pace) {
      html += kpi('Pace', pace.toFixed(2) + ' / ' + c.pace.callsPerSecond + ' calls/s', 'measured over the last ' + Math.round(s.paceWindowMs / 1000) + ' s vs configured', pace > c.pace.callsPerSecond * 1.05 ? 'bad' : '', (pace / c.pace.callsPerSecond) * 100);
      var inFlight = c.counters.dialing + c.counters.live;
      html += kpi('Concurrent calls', inFlight + ' / ' + c.pace.maxConcurrentCalls, 'dialing + live vs maximum', inFlight > c.pace.maxConcurrentCalls ? 'bad' : '', (inFlight / c.pace.maxConcurrentCalls) * 100);
    } else {
      html += kpi('Pace', pace.toFixed(2) + ' calls/s', 'measured over the last ' + Math.round(s.paceWindowMs / 1000) + ' s');
    }
    var rate = abandonmentRate(c) * 100;
    var limit = c.pace && c.pace.maxAbandonRatePct !== undefined ? c.pace.maxAbandonRatePct : 3;
    html += kpi('Abandonment', rate.toFixed(1) + '%', c.abandoned + ' of ' + c.answered + ' answered · limit ' + limit + '%', rate > limit ? 'bad' : rate > limit * 0.8 ? 'warn' : 'good', (rate / Math.max(limit, 0.1)) * 100);
    if (c.abandonmentPeriod) {
      var ap = c.abandonmentPeriod;
      var prate = ap.answered > 0 ? (ap.abandoned / ap.answered) * 100 : 0;
      html += kpi('Abandonment this period', prate.toFixed(2) + '%', ap.abandoned + ' of ' + ap.answered + ' answered since ' + new Date(ap.periodStart).toISOString().slice(0, 16).replace('T', ' ') + ' UTC · limit ' + limit + '%', prate > limit ? 'bad' : prate > limit * 0.8 ? 'warn' : 'good', (prate / Math.max(limit, 0.1)) * 100);
    }
    if (c.agents) {
      var ag = c.agents;
      html += kpi('Agents', ag.idle + ' idle / ' + ag.loggedIn + ' logged in', ag.talking + ' on a call · ' + ag.wrapping + ' in wrap-up · ' + ag.ringing + ' ringing · ' + ag.away + ' away');
    }
    if (c.pacing) {
      html += c.pacing.mode === 'predictive'
        ? kpi('Pacing', 'predictive', 'abandonment headroom: ' + c.pacing.headroom + ' call(s)', 'good')
        : kpi('Pacing', 'progressive (' + esc(c.pacing.fallback) + ')', esc(c.pacing.reason), 'warn');
    }
    html += kpi('Attempts', fmtNum(c.attempts), fmtNum(c.counters.reached) + ' reached · ' + Object.keys(c.activeCalls).length + ' in progress');
    html += '</div><div class="charts">';
    html += '<figure><figcaption>Attempts per ' + Math.round(s.bucketMs / 1000) + ' s</figcaption>' + barChart(c.timeline, s.at, s.bucketMs, s.maxBuckets, false, 'Attempts') + '</figure>';
    var legend = Object.keys(OUTCOME_COLORS).filter(function (d) { return c.outcomes[d]; }).map(function (d) {
      return '<span><i style="background:' + OUTCOME_COLORS[d] + '"></i>' + OUTCOME_LABELS[d] + ' ' + fmtNum(c.outcomes[d]) + '</span>';
    }).join('');
    html += '<figure><figcaption>Outcomes per ' + Math.round(s.bucketMs / 1000) + ' s</figcaption>' + barChart(c.timeline, s.at, s.bucketMs, s.maxBuckets, true, 'Outcomes') + '<div class="legend">' + (legend || '<span>No outcomes yet</span>') + '</div></figure>';
    html += '</div><div class="lower"><figure><figcaption>Active calls</figcaption>';
    var calls = Object.keys(c.activeCalls).map(function (k) { return c.activeCalls[k]; }).sort(function (a, b) { return a.startedAt - b.startedAt; });
    if (calls.length === 0) {
      html += '<p class="muted">No calls in progress.</p>';
    } else {
      html += '<table><thead><tr><th scope="col">Number</th><th scope="col">Contact</th><th scope="col">Attempt</th><th scope="col">Status</th><th scope="col">For</th></tr></thead><tbody>';
      calls.slice(0, 12).forEach(function (call) {
        html += '<tr><td>' + esc(call.to) + '</td><td>' + esc(call.contactId) + '</td><td>#' + call.attempt + '</td><td class="status-' + esc(call.status) + '">' + esc(call.status) + '</td><td>' + Math.max(0, Math.round((s.at - call.startedAt) / 1000)) + ' s</td></tr>';
      });
      html += '</tbody></table>';
      if (calls.length > 12) html += '<p class="muted">and ' + (calls.length - 12) + ' more</p>';
    }
    html += '</figure><figure><figcaption>Alerts</figcaption>';
    html += c.alerts.length ? '<ul class="alerts">' + c.alerts.slice().reverse().map(function (a) {
      return '<li class="' + esc(a.level) + '">' + esc(fmtTime(a.at) + ' · ' + a.message) + '</li>';
    }).join('') + '</ul>' : '<p class="muted">None.</p>';
    html += '</figure></div></section>';
    return html;
  }

  function render() {
    if (!state) return;
    document.getElementById('clock').textContent = state.at ? new Date(state.at).toLocaleString() : '';
    var ids = Object.keys(state.campaigns).sort(function (a, b) {
      return state.campaigns[a].name.localeCompare(state.campaigns[b].name);
    });
    var main = document.getElementById('campaigns');
    main.innerHTML = ids.length
      ? ids.map(function (id) { return renderCampaign(state.campaigns[id], state); }).join('')
      : '<p class="empty">No campaign activity yet. Waiting for events…</p>';
  }

  connect();
})();
`;
