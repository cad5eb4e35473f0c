// StaticFlow graph viewer: a layered view of TensorFlow graphs with collapsible name scopes, expandable
// library functions, details, colouring, search, lineage highlighting, zoom and export, and a side-by-side diff.
// The page carries its data in <script id="staticflow-data" type="application/json">; nothing is fetched.
import dagre from "@dagrejs/dagre";

// The deepest name scope drawn as a group (GraphExport.MaxScopeDepth on the C# side).
const MAX_SCOPE_DEPTH = 32;

const SVG = "http://www.w3.org/2000/svg";
const NODE_H = 28;
const COMPOUND_LIMIT = 120;
const functionClusterId = (call, fn) => `f:${call}#${fn}`;
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
  "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"];
const DIFF_COLOURS = { added: "#59a14f", removed: "#e15759", changed: "#f28e2b", same: "#c8ccd2" };

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "on") for (const [event, handler] of Object.entries(v)) node.addEventListener(event, handler);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

function hash(text) {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The source name of a NodeDef input: "^a" (control) is a, "a:1" is a, "a:out:0" (function format) is a. */
function inputSource(input) {
  const name = input.startsWith("^") ? input.slice(1) : input;
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(0, colon);
}

/** One graph's structure: nodes by name, scope groups, edges, and library functions. */
class GraphModel {
  constructor(data) {
    this.data = data;
    this.nodes = new Map();
    this.groups = new Map([["", { id: "", name: "", parent: null, children: [], members: [], total: 0 }]]);
    for (const node of data.nodes) this.add(node);
    this.functions = data.functions || {};
    this.outputsOf = new Map();
    for (const node of data.nodes) {
      for (const input of node.inputs || []) {
        const source = inputSource(input);
        if (!this.outputsOf.has(source)) this.outputsOf.set(source, []);
        this.outputsOf.get(source).push(node.name);
      }
    }
  }

  add(node) {
    const parts = node.name.split("/");
    let parent = "";
    node.ancestors = [];
    // Scopes nest at most MAX_SCOPE_DEPTH deep (as GraphExport's clusters): a hostile name with thousands of '/'
    // would otherwise cost the square of its depth. Deeper parts stay in the node's own name.
    let path = "";
    for (let i = 0; i < Math.min(parts.length - 1, MAX_SCOPE_DEPTH); i++) {
      path = i === 0 ? parts[0] : path + "/" + parts[i];
      const id = "g:" + path;
      if (!this.groups.has(id)) {
        this.groups.set(id, { id, name: path, parent, children: [], members: [], total: 0 });
        this.groups.get(parent).children.push(id);
      }
      node.ancestors.push(id);
      parent = id;
    }
    node.scope = parent;
    this.groups.get(parent).members.push(node.name);
    for (const g of ["", ...node.ancestors]) this.groups.get(g).total++;
    this.nodes.set(node.name, node);
  }

  lineage(start, downstream) {
    const seen = new Set([start]);
    const stack = [start];
    while (stack.length) {
      const name = stack.pop();
      const next = downstream ? this.outputsOf.get(name) || [] : (this.nodes.get(name)?.inputs || []).map(inputSource);
      for (const n of next) if (!seen.has(n) && this.nodes.has(n)) { seen.add(n); stack.push(n); }
    }
    return seen;
  }
}

/** One graph pane: layout, rendering and interaction. */
class GraphView {
  constructor(app, model, container, label) {
    this.app = app;
    this.model = model;
    this.container = container;
    this.label = label;
    this.expanded = new Set();
    this.expandedCalls = new Set();
    this.selected = null;
    this.highlight = null;
    this.matches = new Set();
    this.diff = null;
    this.transform = { x: 20, y: 20, k: 1 };
    this.svg = el("svg:svg", { class: "canvas", "data-pane": label });
    this.svg.append(el("svg:defs", {}, el("svg:marker", { id: `arrow-${label.replace(/[^A-Za-z0-9_-]/g, "_")}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" },
      el("svg:path", { d: "M0,0L10,5L0,10z", fill: "#7b8490" }))));
    this.arrowId = `arrow-${label.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    this.viewport = el("svg:g", { class: "viewport" });
    this.svg.append(this.viewport);
    container.append(this.svg);
    this.installZoom();
    // A root with a single scope and nothing else opens that scope, as most exported graphs are one scope deep.
    let root = model.groups.get("");
    while (root.members.length === 0 && root.children.length === 1) {
      this.expanded.add(root.children[0]);
      root = model.groups.get(root.children[0]);
    }
  }

  /** The visible item that stands for node `name`: its outermost collapsed scope, or the node itself. */
  representative(node) {
    for (const g of node.ancestors) if (!this.expanded.has(g)) return g;
    return node.name;
  }

  visibleItems() {
    const items = new Map();
    const clusters = new Map();
    const edges = new Map();
    const addEdge = (from, to, control) => {
      if (from === to || !items.has(from) || !items.has(to)) return;
      const key = from + "\u0000" + to;
      const edge = edges.get(key) || { from, to, count: 0, control: true };
      edge.count++;
      edge.control = edge.control && control;
      edges.set(key, edge);
    };
    for (const node of this.model.nodes.values()) {
      const rep = this.representative(node);
      if (!items.has(rep)) {
        if (rep.startsWith("g:")) {
          const group = this.model.groups.get(rep);
          items.set(rep, { id: rep, kind: "group", group, parent: group.parent || null });
        } else {
          items.set(rep, { id: rep, kind: node.function ? "call" : "op", node, parent: node.scope || null });
        }
      }
    }
    for (const item of items.values()) {
      let parent = item.parent;
      while (parent) {
        if (!clusters.has(parent)) clusters.set(parent, { id: parent, group: this.model.groups.get(parent) });
        parent = this.model.groups.get(parent).parent || null;
      }
    }
    // Expanded function calls show the function's body inside a cluster of their own.
    // Control flow calls several: If its two branches, While its condition and body. A call inside an opened
    // function body opens the same way, nested in its cluster.
    const openCall = (callId, node, parent) => {
      for (const name of node.functions || [node.function]) {
        const fn = this.model.functions[name];
        if (!fn) continue;
        const clusterId = functionClusterId(callId, name);
        clusters.set(clusterId, { id: clusterId, function: name, call: callId, parent });
        const added = [];
        for (const body of fn.nodes) {
          const id = clusterId + "/" + body.name;
          const item = { id, kind: "body", node: body, parent: clusterId, call: callId, function: name };
          items.set(id, item);
          added.push(item);
        }
        for (const body of fn.nodes)
          for (const input of body.inputs || []) addEdge(clusterId + "/" + inputSource(input), clusterId + "/" + body.name, input.startsWith("^"));
        for (const item of added)
          if (this.expandedCalls.has(item.id) && (item.node.functions || item.node.function)) openCall(item.id, item.node, item.parent);
      }
    };
    for (const call of this.expandedCalls) {
      const node = this.model.nodes.get(call);
      if (node && items.has(call)) openCall(call, node, node.scope || null);
    }
    for (const node of this.model.nodes.values()) {
      const to = this.representative(node);
      for (const input of node.inputs || []) {
        const source = this.model.nodes.get(inputSource(input));
        if (source) addEdge(this.representative(source), to, input.startsWith("^"));
      }
    }
    return { items, clusters, edges };
  }

  labelOf(item) {
    if (item.kind === "group") return `${item.group.name.split("/").pop()} (${item.group.total})`;
    const name = item.node.name.split("/").pop();
    if (item.kind !== "call" && !item.node.function) return name;
    // One function: name it; control flow (several): name the op.
    return `${name}: ${(item.node.functions || []).length > 1 ? item.node.op : item.node.function}`;
  }

  layout() {
    const started = performance.now();
    const { items, clusters, edges } = this.visibleItems();
    const g = new dagre.graphlib.Graph({ compound: true, multigraph: false });
    g.setGraph({ rankdir: this.app.direction, nodesep: 18, ranksep: 36, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const item of items.values()) {
      const text = this.labelOf(item);
      g.setNode(item.id, { width: Math.min(260, 24 + text.length * 7), height: NODE_H, text });
    }
    // dagre's compound (nested cluster) layout is the nicer one but costs ~17x a flat layout (1.2 s against 70 ms for
    // 200 nodes in one open scope); past COMPOUND_LIMIT items the layout is flat and cluster boxes are drawn around
    // their members afterwards.
    const compound = items.size <= COMPOUND_LIMIT;
    const clusterParent = (cluster) => cluster.group?.parent || cluster.parent || null;
    if (compound) {
      for (const cluster of clusters.values()) g.setNode(cluster.id, { cluster: true, paddingTop: 24, paddingLeft: 12, paddingRight: 12, paddingBottom: 12 });
      for (const item of items.values()) if (item.parent && clusters.has(item.parent)) g.setParent(item.id, item.parent);
      for (const cluster of clusters.values()) if (clusters.has(clusterParent(cluster))) g.setParent(cluster.id, clusterParent(cluster));
    }
    for (const edge of edges.values()) g.setEdge(edge.from, edge.to, { control: edge.control, count: edge.count });
    dagre.layout(g);
    this.clusterBoxes = new Map();
    if (compound) {
      for (const cluster of clusters.values()) this.clusterBoxes.set(cluster.id, g.node(cluster.id));
    } else {
      // Innermost clusters first, so each box also encloses the boxes of the clusters inside it.
      const depth = (cluster) => { let d = 0; for (let p = clusterParent(cluster); p && clusters.has(p); p = clusterParent(clusters.get(p))) d++; return d; };
      const extents = new Map();
      const grow = (id, x0, y0, x1, y1) => {
        const e = extents.get(id) || [Infinity, Infinity, -Infinity, -Infinity];
        extents.set(id, [Math.min(e[0], x0), Math.min(e[1], y0), Math.max(e[2], x1), Math.max(e[3], y1)]);
      };
      for (const item of items.values()) {
        if (!item.parent || !clusters.has(item.parent)) continue;
        const box = g.node(item.id);
        grow(item.parent, box.x - box.width / 2 - 12, box.y - box.height / 2 - 24, box.x + box.width / 2 + 12, box.y + box.height / 2 + 12);
      }
      for (const cluster of [...clusters.values()].sort((a, b) => depth(b) - depth(a))) {
        const e = extents.get(cluster.id);
        if (!e) continue;
        this.clusterBoxes.set(cluster.id, { x: (e[0] + e[2]) / 2, y: (e[1] + e[3]) / 2, width: e[2] - e[0], height: e[3] - e[1] });
        const parent = clusterParent(cluster);
        if (parent && clusters.has(parent)) grow(parent, e[0] - 12, e[1] - 24, e[2] + 12, e[3] + 12);
      }
    }
    this.graph = g;
    this.items = items;
    this.clusters = clusters;
    this.edges = edges;
    this.render();
    const elapsed = performance.now() - started;
    this.app.timings.push({ pane: this.label, items: items.size, ms: elapsed });
    return elapsed;
  }

  colourOf(item) {
    const mode = this.app.colourMode;
    if (mode === "diff" && this.diff) return DIFF_COLOURS[this.diffStatus(item)];
    if (item.kind === "group") {
      if (mode === "device") return this.app.deviceColour(this.groupDevice(item.group));
      return "#e8ebef";
    }
    if (mode === "device") return this.app.deviceColour(item.node.device || "");
    return this.app.opColour(item.node.op);
  }

  groupDevice(group) {
    const devices = new Set();
    const visit = (g) => {
      for (const m of g.members) devices.add(this.model.nodes.get(m).device || "");
      for (const c of g.children) visit(this.model.groups.get(c));
    };
    visit(group);
    return devices.size === 1 ? [...devices][0] : "(several)";
  }

  diffStatus(item) {
    if (item.kind === "group") {
      let status = "same";
      const visit = (g) => {
        for (const m of g.members) if (this.diff.get(m) !== "same") status = "changed";
        for (const c of g.children) visit(this.model.groups.get(c));
      };
      visit(item.group);
      return status;
    }
    return this.diff.get(item.node.name) || "same";
  }

  render() {
    const g = this.graph;
    this.viewport.replaceChildren();
    const clusterLayer = el("svg:g", { class: "clusters" });
    const edgeLayer = el("svg:g", { class: "edges" });
    const nodeLayer = el("svg:g", { class: "nodes" });
    this.viewport.append(clusterLayer, edgeLayer, nodeLayer);
    this.elements = new Map();
    for (const cluster of this.clusters.values()) {
      const box = this.clusterBoxes.get(cluster.id);
      if (!box) continue;
      const title = cluster.function ? `${cluster.function} (function)` : cluster.group.name.split("/").pop();
      const element = el("svg:g", { class: cluster.function ? "cluster function" : "cluster", "data-id": cluster.id, transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})` },
        el("svg:rect", { width: box.width, height: box.height, rx: 8 }),
        el("svg:text", { x: 10, y: 16, class: "cluster-title" }, `− ${title}`));
      element.addEventListener("dblclick", (e) => { e.stopPropagation(); cluster.function ? this.toggleCall(cluster.call) : this.toggle(cluster.id); });
      element.addEventListener("click", (e) => { e.stopPropagation(); if (cluster.group) this.select(cluster.id); });
      clusterLayer.append(element);
    }
    for (const edge of this.edges.values()) {
      const points = g.edge(edge.from, edge.to).points;
      const d = "M" + points.map((p) => `${p.x},${p.y}`).join("L");
      edgeLayer.append(el("svg:path", { d, class: edge.control ? "edge control" : "edge", "data-from": edge.from, "data-to": edge.to, "stroke-width": Math.min(4, 1 + Math.log2(edge.count)), "marker-end": `url(#${this.arrowId})` }));
    }
    for (const item of this.items.values()) {
      const box = g.node(item.id);
      const classes = ["node", item.kind];
      if (this.matches.has(item.id)) classes.push("match");
      if (this.highlight && this.highlight.has(item.id)) classes.push("lineage");
      if (this.selected === item.id) classes.push("selected");
      const element = el("svg:g", {
        class: classes.join(" "), "data-id": item.id, "data-kind": item.kind, "data-op": item.node?.op,
        transform: `translate(${box.x - box.width / 2},${box.y - box.height / 2})`,
      },
        el("svg:rect", { width: box.width, height: box.height, rx: item.kind === "group" ? 4 : 14, fill: this.colourOf(item) }),
        el("svg:text", { x: box.width / 2, y: NODE_H / 2 + 4, "text-anchor": "middle" }, box.text),
        el("svg:title", {}, item.kind === "group" ? item.group.name : `${item.node.name} (${item.node.op})`));
      element.addEventListener("click", (e) => { e.stopPropagation(); this.select(item.id); });
      element.addEventListener("dblclick", (e) => {
        e.stopPropagation();
        if (item.kind === "group") this.toggle(item.id);
        else if (item.kind === "call" || item.node?.function) this.toggleCall(item.id);
      });
      nodeLayer.append(element);
      this.elements.set(item.id, element);
    }
    this.applyTransform();
    this.svg.dataset.visible = String(this.items.size);
    this.app.refreshLegend();
  }

  toggle(groupId) {
    if (this.expanded.has(groupId)) {
      for (const g of [...this.expanded]) if (g === groupId || g.startsWith(groupId + "/")) this.expanded.delete(g);
    } else this.expanded.add(groupId);
    const ms = this.app.relayout(this);
    // The layout moved everything: keep what was opened or closed in view.
    this.centerOn(groupId);
    return ms;
  }

  toggleCall(name) {
    const opening = !this.expandedCalls.has(name);
    if (opening) this.expandedCalls.add(name);
    else this.expandedCalls.delete(name);
    const ms = this.app.relayout(this);
    const node = this.model.nodes.get(name) || this.items.get(name)?.node;
    this.centerOn(opening && node ? functionClusterId(name, (node.functions || [node.function])[0]) : name);
    return ms;
  }

  /** Opens every scope around node `name` so that the node itself is visible. */
  reveal(name) {
    const node = this.model.nodes.get(name);
    if (!node) return;
    let changed = false;
    for (const g of node.ancestors) if (!this.expanded.has(g)) { this.expanded.add(g); changed = true; }
    if (changed) this.app.relayout(this);
  }

  select(id) {
    this.selected = id;
    this.highlight = null;
    for (const [key, element] of this.elements) element.classList.toggle("selected", key === id);
    this.app.showDetails(this, id);
  }

  showLineage(downstream) {
    const item = this.items.get(this.selected);
    if (!item || !item.node || item.kind === "body") return;
    const names = this.model.lineage(item.node.name, downstream);
    this.highlight = new Set([...names].map((n) => this.representative(this.model.nodes.get(n))));
    for (const [key, element] of this.elements) element.classList.toggle("lineage", this.highlight.has(key));
    return this.highlight.size;
  }

  search(query) {
    this.matches = new Set();
    const results = [];
    if (query) {
      const q = query.toLowerCase();
      for (const node of this.model.nodes.values()) {
        if (node.name.toLowerCase().includes(q) || node.op.toLowerCase() === q) {
          results.push(node);
          this.matches.add(this.representative(node));
        }
      }
    }
    for (const [key, element] of this.elements) element.classList.toggle("match", this.matches.has(key));
    return results;
  }

  installZoom() {
    let drag = null;
    this.svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const factor = Math.exp(-e.deltaY * 0.0015);
      const rect = this.svg.getBoundingClientRect();
      const px = e.clientX - rect.left, py = e.clientY - rect.top;
      const t = this.transform;
      const k = Math.min(8, Math.max(0.02, t.k * factor));
      t.x = px - ((px - t.x) * k) / t.k;
      t.y = py - ((py - t.y) * k) / t.k;
      t.k = k;
      this.applyTransform();
    }, { passive: false });
    this.svg.addEventListener("mousedown", (e) => { drag = { x: e.clientX, y: e.clientY, tx: this.transform.x, ty: this.transform.y }; });
    window.addEventListener("mousemove", (e) => {
      if (!drag) return;
      this.transform.x = drag.tx + e.clientX - drag.x;
      this.transform.y = drag.ty + e.clientY - drag.y;
      this.applyTransform();
    });
    window.addEventListener("mouseup", () => { drag = null; });
  }

  applyTransform() {
    const t = this.transform;
    this.viewport.setAttribute("transform", `translate(${t.x},${t.y}) scale(${t.k})`);
    this.svg.dataset.zoom = t.k.toFixed(3);
  }

  fit() {
    const info = this.graph.graph();
    const rect = this.svg.getBoundingClientRect();
    const k = Math.min(2, Math.max(0.02, Math.min((rect.width - 20) / (info.width || 1), (rect.height - 20) / (info.height || 1))));
    this.transform = { k, x: (rect.width - info.width * k) / 2, y: (rect.height - info.height * k) / 2 };
    this.applyTransform();
  }

  zoomBy(factor) {
    this.transform.k = Math.min(8, Math.max(0.02, this.transform.k * factor));
    this.applyTransform();
  }

  centerOn(id) {
    const box = this.clusterBoxes.get(id) || (this.items.has(id) ? this.graph.node(id) : null);
    if (!box) return;
    const rect = this.svg.getBoundingClientRect();
    this.transform.x = rect.width / 2 - box.x * this.transform.k;
    this.transform.y = rect.height / 2 - box.y * this.transform.k;
    this.applyTransform();
  }

  /** A standalone SVG document of the current view, styles included. */
  toSvgText() {
    const info = this.graph.graph();
    const copy = this.svg.cloneNode(true);
    copy.setAttribute("xmlns", SVG);
    copy.setAttribute("width", Math.ceil(info.width + 20));
    copy.setAttribute("height", Math.ceil(info.height + 20));
    copy.querySelector(".viewport").setAttribute("transform", "translate(10,10)");
    copy.prepend(el("svg:style", {}, this.app.svgStyle));
    return new XMLSerializer().serializeToString(copy);
  }
}

class App {
  constructor(data) {
    this.data = data;
    this.direction = "TB";
    this.colourMode = data.graphs.length === 2 ? "diff" : "op";
    this.timings = [];
    this.opColours = new Map();
    this.deviceColours = new Map();
    this.svgStyle = document.getElementById("staticflow-svg-style")?.textContent || "";
    this.buildChrome();
    this.models = data.graphs.map((g) => new GraphModel(g));
    this.views = this.models.map((m, i) => new GraphView(this, m, this.panes, data.graphs[i].label || `graph ${i + 1}`));
    if (this.views.length === 2) this.computeDiff();
    this.active = this.views[0];
    for (const view of this.views) { view.layout(); view.fit(); }
    this.showSignatures();
    this.status.textContent = this.models.map((m, i) => `${this.views[i].label}: ${m.nodes.size} nodes, ${Object.keys(m.functions).length} functions`).join(" · ");
    document.body.dataset.nodes = String(this.models[0].nodes.size);
    document.body.dataset.ready = "1";
  }

  buildChrome() {
    const app = document.getElementById("app");
    const colour = el("select", { id: "colour-mode", on: { change: (e) => this.setColourMode(e.target.value) } },
      el("option", { value: "op" }, "colour: op type"), el("option", { value: "device" }, "colour: device"),
      this.data.graphs.length === 2 ? el("option", { value: "diff" }, "colour: diff") : null);
    colour.value = this.data.graphs.length === 2 ? "diff" : "op";
    const direction = el("select", { id: "direction", on: { change: (e) => { this.direction = e.target.value; this.views.forEach((v) => this.relayout(v)); } } },
      el("option", { value: "TB" }, "top-down"), el("option", { value: "LR" }, "left-right"));
    this.searchBox = el("input", { id: "search", type: "search", placeholder: "search name or op", on: { input: (e) => this.search(e.target.value) } });
    const button = (id, text, handler) => el("button", { id, on: { click: handler } }, text);
    const toolbar = el("div", { class: "toolbar" },
      el("strong", {}, "StaticFlow"), el("span", { class: "title" }, this.data.title || ""),
      this.searchBox, colour, direction,
      button("zoom-in", "+", () => this.active.zoomBy(1.25)), button("zoom-out", "−", () => this.active.zoomBy(0.8)),
      button("fit", "fit", () => this.views.forEach((v) => v.fit())),
      button("export-svg", "SVG", () => this.download("graph.svg", new Blob([this.active.toSvgText()], { type: "image/svg+xml" }))),
      button("export-png", "PNG", () => this.exportPng()));
    this.panes = el("div", { class: `panes count-${this.data.graphs.length}` });
    this.details = el("div", { id: "details", class: "section" }, el("p", { class: "hint" }, "Click a node for its details; double-click a scope or a function call to open it."));
    this.results = el("div", { id: "results", class: "section" });
    this.signatures = el("div", { id: "signatures", class: "section" });
    this.legend = el("div", { id: "legend", class: "section" });
    this.status = el("div", { id: "status" });
    const side = el("div", { class: "side" }, this.results, this.details, this.signatures, this.legend);
    app.append(toolbar, el("div", { class: "main" }, this.panes, side), this.status);
  }

  opColour(op) {
    if (!this.opColours.has(op)) this.opColours.set(op, PALETTE[hash(op) % PALETTE.length]);
    return this.opColours.get(op);
  }

  deviceColour(device) {
    if (!this.deviceColours.has(device)) this.deviceColours.set(device, device === "" ? "#d0d4da" : PALETTE[this.deviceColours.size % PALETTE.length]);
    return this.deviceColours.get(device);
  }

  setColourMode(mode) {
    this.colourMode = mode;
    document.getElementById("colour-mode").value = mode;
    for (const view of this.views) view.render();
  }

  relayout(view) {
    const ms = view.layout();
    this.lastRelayoutMs = ms;
    return ms;
  }

  refreshLegend() {
    if (!this.legend) return;
    const entries = new Map();
    for (const view of this.views) {
      if (!view.items) continue;
      for (const item of view.items.values()) {
        if (this.colourMode === "device") {
          const device = item.kind === "group" ? view.groupDevice(item.group) : item.node.device || "";
          entries.set(device || "(no device)", this.deviceColour(device));
        } else if (this.colourMode === "op" && item.kind !== "group") entries.set(item.node.op, this.opColour(item.node.op));
      }
    }
    if (this.colourMode === "diff") for (const [k, v] of Object.entries(DIFF_COLOURS)) entries.set(k, v);
    this.legend.replaceChildren(el("h3", {}, `Legend (${this.colourMode})`),
      el("ul", { class: "legend" }, [...entries].sort((a, b) => a[0].localeCompare(b[0])).map(([name, colour]) =>
        el("li", { "data-legend": name }, el("span", { class: "swatch", style: `background:${colour}` }), name))));
  }

  showDetails(view, id) {
    this.active = view;
    const item = view.items.get(id);
    const group = item?.group || (id.startsWith("g:") ? view.model.groups.get(id) : null);
    if (group) {
      const expanded = view.expanded.has(group.id);
      this.details.replaceChildren(el("h3", {}, "Scope"), el("div", { class: "name" }, group.name),
        el("p", {}, `${group.total} nodes`),
        el("button", { id: "toggle-scope", on: { click: () => view.toggle(group.id) } }, expanded ? "Collapse" : "Expand"));
      return;
    }
    const node = item.node;
    const rows = [["op", node.op], ["device", node.device || "(none)"]];
    if (item.kind === "body") rows.push(["function", item.function]);
    const attrs = Object.entries(node.attrs || {});
    const outputs = node.outputs || [];
    const section = [
      el("h3", {}, item.kind === "body" ? "Function node" : "Node"),
      el("div", { class: "name", id: "details-name" }, node.name),
      el("table", { class: "props" }, rows.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", { "data-prop": k }, v)))),
      el("h4", {}, "Inputs"),
      el("ul", { class: "io" }, (node.inputs || []).map((input) => el("li", {}, el("a", { href: "#", on: { click: (e) => { e.preventDefault(); this.goto(view, inputSource(input)); } } }, input)))),
      el("h4", {}, "Outputs"),
      el("ul", { class: "io" }, outputs.map((o, i) => el("li", {}, `${i}: ${o.dtype} ${o.shape}`))),
    ];
    if (attrs.length) section.push(el("h4", {}, "Attrs"), el("table", { class: "props attrs" }, attrs.map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))));
    if (node.variable) {
      const v = node.variable;
      section.push(el("h4", {}, "Variable"), el("table", { class: "props variable" },
        el("tr", {}, el("th", {}, "dtype"), el("td", {}, v.dtype)), el("tr", {}, el("th", {}, "shape"), el("td", {}, v.shape)),
        v.summary ? el("tr", {}, el("th", {}, "values"), el("td", { id: "variable-summary" }, v.summary)) : null));
    }
    if (item.kind !== "body") {
      section.push(el("div", { class: "actions" },
        el("button", { id: "show-upstream", on: { click: () => view.showLineage(false) } }, "highlight inputs"),
        el("button", { id: "show-downstream", on: { click: () => view.showLineage(true) } }, "highlight outputs"),
        item.kind === "call" ? el("button", { id: "toggle-function", on: { click: () => view.toggleCall(node.name) } }, view.expandedCalls.has(node.name) ? "Close function" : "Open function") : null));
    } else if (node.function) {
      section.push(el("div", { class: "actions" },
        el("button", { id: "toggle-function", on: { click: () => view.toggleCall(id) } }, view.expandedCalls.has(id) ? "Close function" : "Open function")));
    }
    this.details.replaceChildren(...section);
  }

  goto(view, name) {
    if (!view.model.nodes.has(name)) return;
    view.reveal(name);
    view.select(name);
    view.centerOn(name);
  }

  search(query) {
    const found = this.views.map((v) => ({ view: v, results: v.search(query) }));
    const total = found.reduce((n, f) => n + f.results.length, 0);
    const items = [];
    for (const { view, results } of found)
      for (const node of results.slice(0, 100))
        items.push(el("li", {}, el("a", { href: "#", "data-result": node.name, on: { click: (e) => { e.preventDefault(); this.goto(view, node.name); } } }, `${node.name} (${node.op})`)));
    this.results.replaceChildren(query ? el("h3", {}, `Search: ${total} match${total === 1 ? "" : "es"}`) : "", query ? el("ul", { class: "results" }, items) : "");
    this.results.dataset.count = String(total);
    return total;
  }

  showSignatures() {
    const sigs = this.data.graphs[0].signatures || [];
    if (!sigs.length) return;
    const tensorLink = (t) => el("li", {}, el("a", { href: "#", on: { click: (e) => { e.preventDefault(); this.goto(this.views[0], inputSource(t.tensor)); } } }, `${t.key}: ${t.dtype} ${t.shape}`), ` → ${t.tensor}`);
    this.signatures.replaceChildren(el("h3", {}, "Signatures"),
      ...sigs.map((s) => el("details", { class: "signature", "data-signature": s.key, open: s.key === "serving_default" ? "" : null },
        el("summary", {}, `${s.key}`), el("div", { class: "method" }, s.method),
        el("h4", {}, "inputs"), el("ul", {}, s.inputs.map(tensorLink)), el("h4", {}, "outputs"), el("ul", {}, s.outputs.map(tensorLink)))));
  }

  computeDiff() {
    const [a, b] = this.models;
    const describe = (n) => JSON.stringify([n.op, n.inputs, n.attrs, n.device]);
    const left = new Map(), right = new Map();
    for (const [name, node] of a.nodes) left.set(name, !b.nodes.has(name) ? "removed" : describe(node) === describe(b.nodes.get(name)) ? "same" : "changed");
    for (const [name, node] of b.nodes) right.set(name, !a.nodes.has(name) ? "added" : describe(node) === describe(a.nodes.get(name)) ? "same" : "changed");
    this.views[0].diff = left;
    this.views[1].diff = right;
    const count = (m, s) => [...m.values()].filter((v) => v === s).length;
    this.diffSummary = { removed: count(left, "removed"), added: count(right, "added"), changed: count(left, "changed") };
    document.body.dataset.diff = JSON.stringify(this.diffSummary);
  }

  download(name, blob) {
    const url = URL.createObjectURL(blob);
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  exportPng() {
    const text = this.active.toSvgText();
    const image = new Image();
    const info = this.active.graph.graph();
    image.onload = () => {
      const canvas = el("canvas", { width: Math.ceil(info.width + 20), height: Math.ceil(info.height + 20) });
      const context = canvas.getContext("2d");
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0);
      canvas.toBlob((blob) => this.download("graph.png", blob), "image/png");
    };
    image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
  }
}

function start() {
  const data = JSON.parse(document.getElementById("staticflow-data").textContent);
  const opened = performance.now();
  const app = new App(data);
  const openMs = performance.now() - opened;
  // For scripts and tests: the app, and how long opening took (parse to first layout and render).
  window.staticflow = {
    app,
    openMs,
    visibleCount: (pane = 0) => app.views[pane].items.size,
    totalCount: (pane = 0) => app.models[pane].nodes.size,
    expand: (id, pane = 0) => app.views[pane].toggle(id),
    search: (q) => app.search(q),
  };
  document.body.dataset.openMs = openMs.toFixed(1);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
