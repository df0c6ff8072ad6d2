// Dashboard page: polls /api/dashboard and /api/summary and renders them.
// Everything from the server goes in through textContent or attributes,
// never as HTML, since alert summaries come from telemetry.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  let token = sessionStorage.getItem("dashboard-token") || "";
  let refreshMs = 2000;
  let timer = null;

  // A token handed over in the URL fragment never reaches server logs; keep
  // it for the session and take it out of the address bar.
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    token = decodeURIComponent(m[1]);
    sessionStorage.setItem("dashboard-token", token);
    history.replaceState(null, "", location.pathname);
  }

  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") n.className = v;
      else if (k === "style") n.style.cssText = v;
      else n.setAttribute(k, v);
    }
    for (const c of children) {
      if (c == null) continue;
      n.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return n;
  }

  // Money arrives as an exact decimal string ("191704.08"); Intl formats the
  // string itself, Number() is only for ratios and bar widths.
  function money(v, currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: "currency", currency, maximumFractionDigits: Math.abs(v) >= 10000 ? 0 : 2 }).format(v);
    } catch (e) {
      return v + " " + currency;
    }
  }
  const num = (v) => new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }).format(v);
  const pct = (v) => (v == null ? "–" : (v * 100).toFixed(1) + "%");
  const ms = (v) => (v == null ? "–" : v >= 1000 ? (v / 1000).toFixed(2) + " s" : v.toFixed(0) + " ms");

  function ago(iso) {
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 90) return Math.round(s) + "s ago";
    if (s < 5400) return Math.round(s / 60) + "m ago";
    return Math.round(s / 3600) + "h ago";
  }

  function sparkline(container, values, bad) {
    container.replaceChildren();
    container.classList.toggle("bad", !!bad);
    if (!values || values.length < 2) return;
    values = values.map(Number);
    const w = 200, h = 36, max = Math.max(...values, 1e-9);
    const pts = values.map((v, i) => [(i / (values.length - 1)) * w, h - 2 - (v / max) * (h - 4)]);
    const line = pts.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1)).join(" ");
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.setAttribute("preserveAspectRatio", "none");
    const area = document.createElementNS(SVG, "path");
    area.setAttribute("class", "area");
    area.setAttribute("d", `${line} L${w} ${h} L0 ${h} Z`);
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("class", "line");
    path.setAttribute("d", line);
    svg.append(area, path);
    container.append(svg);
  }

  function progress(bar, sub, value, target, projected, currency, what) {
    const span = $(bar);
    if (target == null) {
      span.style.width = "0";
      $(sub).textContent = "no " + what + " target set";
      return;
    }
    const p = Number(value) / Number(target);
    span.style.width = Math.min(100, p * 100).toFixed(1) + "%";
    span.className = p >= 1 ? "met" : Number(projected) >= Number(target) ? "" : "behind";
    $(sub).textContent = `${pct(p)} of ${money(target, currency)} · projected ${money(projected, currency)}`;
  }

  function renderKPIs(d) {
    const c = d.currency, r = d.revenue;
    $("revenue-today").textContent = money(r.today, c);
    progress("revenue-today-bar", "revenue-today-sub", r.today, r.daily_target, r.projected_today, c, "daily");
    $("revenue-month").textContent = money(r.month, c);
    progress("revenue-month-bar", "revenue-month-sub", r.month, r.monthly_target, r.projected_month, c, "monthly");
    $("revenue-currencies").textContent = r.by_currency.map((x) => money(x.today, x.currency)).join(" · ");
    sparkline($("spark-revenue"), d.series.last_24h.revenue);

    const o = d.orders;
    $("orders-today").textContent = num(o.today);
    $("orders-sub").textContent = `AOV ${o.average_order_value == null ? "–" : money(o.average_order_value, c)} · ${num(o.last_hour)} last hour · ${num(o.refunds_today)} refunds`;
    sparkline($("spark-orders"), d.series.last_hour.orders);

    const p = d.payments;
    $("success-rate").textContent = pct(p.success_rate);
    $("success-sub").textContent = `${num(p.failed)} failed of ${num(p.attempts)} · last hour ${pct(p.success_rate_last_hour)}`;
    sparkline($("spark-failures"), d.series.last_hour.failed_attempts, true);

    const cu = d.customers;
    $("conversion").textContent = pct(cu.conversion_rate);
    const all = cu.new + cu.returning;
    const segs = $("segments").children;
    segs[0].style.width = all ? ((cu.new / all) * 100).toFixed(1) + "%" : "0";
    segs[1].style.width = all ? ((cu.returning / all) * 100).toFixed(1) + "%" : "0";
    $("customers-sub").textContent = `${num(cu.new)} new · ${num(cu.returning)} returning` + (cu.distinct == null ? "" : ` · ${num(cu.distinct)} customers`)
      + (cu.lifetime_value == null ? "" : ` · CLV ${money(cu.lifetime_value, d.currency)}`);
  }

  function renderFunnel(steps) {
    const top = Math.max(steps.length ? steps[0].count : 0, 1);
    $("funnel").replaceChildren(...steps.map((s) =>
      el("li", { "data-step": s.step },
        el("span", {}, s.label),
        el("div", { class: "fbar" }, el("span", { style: `width:${Math.min(100, (s.count / top) * 100).toFixed(1)}%` })),
        el("span", { class: "fnum" }, num(s.count), " ",
          el("span", { class: "drop" }, s.drop_off == null ? "" : `(−${pct(s.drop_off)})`)))));
  }

  async function ack(fp) {
    await api("POST", `api/alerts/${encodeURIComponent(fp)}/ack`);
    poll();
  }

  function renderAlerts(alerts) {
    const count = $("alert-count");
    count.textContent = alerts.length;
    count.classList.toggle("firing", alerts.length > 0);
    if (!alerts.length) {
      $("alerts").replaceChildren(el("li", { class: "empty" }, "No active alerts"));
      return;
    }
    $("alerts").replaceChildren(...alerts.map((a) => {
      const action = a.acked
        ? el("span", { class: "acked" }, "acked")
        : el("button", { type: "button", "data-fingerprint": a.fingerprint }, "Ack");
      if (!a.acked) action.addEventListener("click", () => ack(a.fingerprint));
      return el("li", { "data-alert": a.name, "data-severity": a.severity },
        el("span", { class: "sev " + a.severity }, a.severity),
        el("span", { class: "aname" }, a.name, " ", el("span", { class: "muted" }, ago(a.starts_at))),
        action,
        el("span", { class: "asum" }, a.summary));
    }));
  }

  function renderMethods(p) {
    const items = p.by_method.map((m) => el("li", {},
      el("span", { class: "mname" }, m.method),
      el("div", { class: "mbar" }, el("span", { style: `width:${((m.success_rate || 0) * 100).toFixed(1)}%` })),
      el("span", { class: "mval" }, pct(m.success_rate))));
    $("methods").replaceChildren(...(items.length ? items : [el("li", { class: "empty" }, "No payment attempts yet")]));
    const reasons = p.failure_reasons.slice(0, 5).map((r) => el("li", {}, el("span", {}, r.name), el("span", {}, num(r.value))));
    $("reasons").replaceChildren(...(reasons.length ? reasons : [el("li", { class: "empty" }, "No failures today")]));
  }

  function renderLatency(d) {
    $("latency-window").textContent = `last ${Math.round(d.errors.window_seconds / 60)} min`;
    const rows = d.latency.map((op) => {
      const share = op.p95_ms != null && op.threshold_ms ? Math.min(100, (op.p95_ms / op.threshold_ms) * 100) : 0;
      return el("tr", { class: op.breach ? "breach" : "", "data-operation": op.name },
        el("td", { class: "op", title: op.name }, op.name),
        el("td", {}, ms(op.p95_ms)),
        el("td", {}, ms(op.threshold_ms)),
        el("td", { class: "barcol" }, el("div", { class: "lbar" }, el("span", { style: `width:${share.toFixed(1)}%` }))),
        el("td", {}, num(op.calls)),
        el("td", {}, pct(op.error_rate)));
    });
    $("latency").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "6", class: "empty" }, "No span metrics yet"))]));
    $("error-rates").textContent = `Span error rate ${pct(d.errors.spans)} · payment failure rate ${pct(d.errors.payments)}`;
  }

  function renderStock(items) {
    $("low-stock").replaceChildren(...(items.length
      ? items.map((i) => el("li", { "data-item": i.item_id },
        el("span", {}, i.item_id),
        el("span", {}, `${num(i.available)} left` + (i.reserved == null ? "" : `, ${num(i.reserved)} reserved`))))
      : [el("li", { class: "empty" }, "All items in stock")]));
  }

  function renderForecast(items) {
    const opt = (v) => (v == null ? "–" : num(v));
    $("forecast").replaceChildren(...((items || []).length
      ? items.map((f) => el("tr", { "data-item": f.item_id },
        el("td", {}, f.item_id),
        el("td", {}, f.sell_out ? new Date(f.sell_out).toLocaleString()
          : f.rate_per_hour > 0 ? "stock not reported" : "not selling"),
        el("td", {}, `${f.rate_per_hour.toFixed(1)}/h`),
        el("td", {}, opt(f.available)),
        el("td", {}, opt(f.held)),
        el("td", {}, opt(f.unsold_at_event))))
      : [el("tr", {}, el("td", { colspan: "6", class: "empty" }, "No sales pace yet"))]));
  }

  function renderExperiments(rows) {
    const pts = (v) => (v == null ? "–" : (v >= 0 ? "+" : "") + (v * 100).toFixed(1) + " pts");
    $("experiments").replaceChildren(...((rows || []).length
      ? rows.map((r) => el("tr", { class: r.worse ? "breach" : "", "data-experiment": r.experiment, "data-variant": r.variant, "data-metric": r.metric },
        el("td", {}, r.experiment),
        el("td", {}, r.variant),
        el("td", {}, r.metric.replace("_", " ")),
        el("td", {}, pct(r.rate)),
        el("td", {}, r.uplift == null ? "control" : pts(r.uplift)),
        el("td", {}, r.lower == null ? "–" : `${pts(r.lower)} … ${pts(r.upper)}`),
        el("td", {}, r.p_value == null ? "–" : r.p_value.toPrecision(2))))
      : [el("tr", {}, el("td", { colspan: "7", class: "empty" }, "No experiments"))]));
  }

  function renderRecommendations(recs) {
    $("recommendations").replaceChildren(...((recs || []).length
      ? recs.map((r) => el("li", { "data-kind": r.kind },
        el("div", {}, el("strong", {}, r.title)),
        el("div", { class: "muted" }, r.evidence),
        el("div", { class: "muted" }, "metric " + r.metric + (r.alert ? " · alert " + r.alert : ""))))
      : [el("li", { class: "empty" }, "Nothing stands out")]));
  }

  function renderSegments(d) {
    const g = (v) => (v == null ? "–" : (v >= 0 ? "+" : "") + (v * 100).toFixed(0) + "%");
    $("growth").textContent = `· revenue vs yesterday ${g(d.revenue.growth.vs_yesterday)} · vs last week ${g(d.revenue.growth.vs_last_week)}`;
    sparkline($("hour-pattern"), d.revenue.growth.hour_of_day.map(Number), false);
    $("segments-table").replaceChildren(...((d.segments || []).length
      ? d.segments.map((r) => el("tr", { "data-dimension": r.dimension, "data-segment": r.value },
        el("td", {}, r.dimension),
        el("td", {}, r.value),
        el("td", {}, money(r.revenue, d.currency)),
        el("td", {}, num(r.orders)),
        el("td", {}, pct(r.conversion)),
        el("td", {}, r.average_order_value == null ? "–" : money(r.average_order_value, d.currency))))
      : [el("tr", {}, el("td", { colspan: "6", class: "empty" }, "No segments yet"))]));
  }

  // Decimal units, as vendors bill ingest.
  function bytes(v) {
    const units = ["B", "kB", "MB", "GB", "TB"];
    let i = 0;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i ? v.toFixed(1) : String(v)) + " " + units[i];
  }

  function renderSpend(sp) {
    const rows = (sp && sp.destinations) || [];
    $("spend").replaceChildren(...(rows.length
      ? rows.map((x) => el("tr", { "data-exporter": x.exporter, "data-kind": x.kind, "data-host": x.host },
        el("td", {}, x.exporter),
        el("td", { title: (x.signals || []).join(", ") }, `${x.kind} · ${x.host}`),
        el("td", { class: "events" }, num(x.events_last_hour)),
        el("td", { class: "bytes" }, bytes(x.bytes_last_hour)),
        el("td", { class: "share" }, pct(x.share_of_received)),
        el("td", {}, `${num(x.events)} events · ${bytes(x.bytes)}`),
        el("td", {}, num(x.failed_requests))))
      : [el("tr", {}, el("td", { colspan: "7", class: "empty" }, "Nothing sent yet"))]));
    const rec = ((sp && sp.received) || []).map((r) => `${num(r.items_last_hour)} ${r.signal}`).join(" · ");
    $("spend-received").textContent = "Received (otlp and kafka receivers), last 60 min: " + (rec || "nothing");
  }

  function renderSummary(s) {
    $("status").dataset.status = s.status;
    $("headline").textContent = s.headline;
    renderExecutive(s);
  }

  // The executive summary panel: one line per section of /api/summary.
  function renderExecutive(s) {
    const c = s.currency;
    const signed = (v) => (v >= 0 ? "+" : "") + pct(v);
    const g = s.growth;
    const f = s.funnel;
    const cu = s.customers;
    const h = s.health;
    const rows = [
      ["Growth", (g.vs_yesterday == null ? "no figure for yesterday yet"
        : `${signed(g.vs_yesterday)} vs the same time yesterday (${money(g.yesterday_same_time, c)})`)
        + (g.vs_last_week == null ? "" : ` · ${signed(g.vs_last_week)} vs a week ago (${money(g.last_week_same_time, c)})`)],
      ["Top segments", s.top_segments.length ? s.top_segments.map((r) =>
        `${r.dimension} ${r.value} ${money(r.revenue, c)}` + (r.conversion == null ? "" : ` (${pct(r.conversion)})`)).join(" · ")
        : "no segments yet"],
      ["Payments", `${pct(s.success_rate)} succeeded` + (s.top_failure_reasons.length
        ? " · top failures " + s.top_failure_reasons.map((r) => `${r.name} ${num(r.value)}`).join(", ") : "")],
      ["Funnel", (f.biggest_drop_off ? `biggest drop-off before “${f.biggest_drop_off.label}” (${pct(f.biggest_drop_off.drop_off)} leave)` : "no visitors yet")
        + ` · checkout abandonment ${pct(f.abandonment_rate)}`],
      ["Customers", `${num(cu.new)} new · ${num(cu.returning)} returning (${pct(cu.returning_share)})`
        + ` · lifetime value ${cu.lifetime_value == null ? "–" : money(cu.lifetime_value, c)}`],
      ["Low stock", s.low_stock.length ? s.low_stock.map((i) => `${i.item_id} (${num(i.available)})`).join(", ") : "none"],
      ["Alerts", s.active_alert_list.length ? s.active_alert_list.map((a) => `${a.severity} ${a.name}`).join(", ") : "none firing"],
      ["System health", `${h.breaches} of ${h.operations.length} operations above their p95 threshold`
        + h.operations.filter((o) => o.breach).map((o) => ` · ${o.name} ${ms(o.p95_ms)} (limit ${ms(o.threshold_ms)})`).join("")],
      ...s.insights.map((i) => [i.source, i.text]),
    ];
    $("executive-list").replaceChildren(...rows.map(([k, v]) =>
      el("li", { "data-section": k }, el("span", {}, k), el("span", {}, v))));
  }

  function renderFooter(d) {
    const src = Object.entries(d.data.sources).map(([k, v]) => `${k.replace("_", " ")} ${ago(v)}`).join(" · ");
    const failing = (d.channels || []).filter((c) => c.status === "failing");
    $("footer").textContent = `Time zone ${d.timezone} · ${src || "no data received yet"}`
      + (failing.length ? " · FAILING channels: " + failing.map((c) => `${c.channel} (${c.hint})`).join("; ") : "");
    $("footer").classList.toggle("failing", failing.length > 0);
    // The business time zone, as the footer says, not the browser's.
    let tz = {};
    try {
      new Intl.DateTimeFormat(undefined, { timeZone: d.timezone });
      tz = { timeZone: d.timezone, timeZoneName: "short" };
    } catch (e) { /* "Local" or unknown to this browser: the server's offset is in generated_at */ }
    $("clock").textContent = "updated " + new Date(d.generated_at).toLocaleTimeString(undefined, tz);
  }

  async function api(method, path) {
    // The marker header makes the ack a non-simple request, which the
    // server requires so that other sites cannot forge it (CSRF).
    const headers = { "X-Requested-By": "dashboard" };
    if (token) headers.Authorization = "Bearer " + token;
    const res = await fetch(path, { method, headers, cache: "no-store" });
    if (res.status === 401) {
      const e = new Error("unauthorized");
      e.unauthorized = true;
      throw e;
    }
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    return res.json();
  }

  async function poll() {
    clearTimeout(timer);
    try {
      const [d, s] = await Promise.all([api("GET", "api/dashboard"), api("GET", "api/summary")]);
      refreshMs = Math.max(500, (d.refresh_seconds || 2) * 1000);
      renderKPIs(d);
      renderFunnel(d.funnel);
      renderAlerts(d.alerts);
      renderMethods(d.payments);
      renderLatency(d);
      renderStock(d.low_stock);
      renderForecast(d.forecasts);
      renderExperiments(d.experiments);
      renderRecommendations(d.recommendations);
      renderSegments(d);
      renderSpend(d.spend);
      renderSummary(s);
      renderFooter(d);
      $("banner").classList.add("hidden");
      $("login").classList.add("hidden");
      document.body.dataset.loaded = "true";
    } catch (e) {
      if (e.unauthorized) {
        $("login").classList.remove("hidden");
        return;
      }
      $("banner").textContent = "Dashboard unreachable (" + e.message + "), retrying…";
      $("banner").classList.remove("hidden");
    }
    timer = setTimeout(poll, refreshMs);
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = $("token").value;
    sessionStorage.setItem("dashboard-token", token);
    poll();
  });

  poll();
})();
