//! Contraction hierarchy: preprocessing, point-to-point queries and bucket many-to-many.
//!
//! Owns: node ordering (edge difference + deleted neighbours, lazy updates), witness searches
//! (settle-limited Dijkstra), the upward/downward search graphs and shortcut unpacking. Sees only
//! integer nodes and arcs, never coordinates, OSM or snapping.
//!
//! Weights are travel times in milliseconds; every arc also carries its length in decimetres so
//! matrices report the length of the fastest path.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Marks "no shortcut child": the unpack entry is an original road edge.
pub(crate) const ORIGINAL: u32 = u32::MAX;
/// Marks "no value" in search arrays.
pub(crate) const NONE: u32 = u32::MAX;

/// Settled nodes allowed per witness search while ordering, then while contracting.
/// Higher limits find more witnesses (fewer shortcuts) but cost preprocessing time.
const SIMULATE_SETTLE_LIMIT: usize = 60;
const CONTRACT_SETTLE_LIMIT: usize = 400;

/// A directed edge of the input graph.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputEdge {
    pub from: u32,
    pub to: u32,
    pub time: u32,
    pub dist: u32,
    /// Opaque value handed back by unpacking (segment and direction).
    pub payload: u32,
}

/// An arc of a search graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arc {
    pub head: u32,
    pub time: u32,
    pub dist: u32,
    /// Index into [`Ch::unpack`].
    pub id: u32,
}

/// The finished hierarchy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Ch {
    /// CSR offsets into `up` (len n + 1). Arcs v → head with rank(head) > rank(v).
    pub up_first: Vec<u32>,
    pub up: Vec<Arc>,
    /// CSR offsets into `down`. At v: arcs head → v with rank(head) > rank(v).
    pub down_first: Vec<u32>,
    pub down: Vec<Arc>,
    /// Per arc id: `[payload, ORIGINAL]` for a road edge, `[first, second]` arc ids for a shortcut.
    pub unpack: Vec<[u32; 2]>,
}

/// Settle-limited Dijkstra used for witness searches during contraction.
struct Witness {
    dist: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
}

impl Witness {
    fn new(n: usize) -> Self {
        Self {
            dist: vec![NONE; n],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = NONE;
        }
        self.touched.clear();
        self.heap.clear();
    }

    /// Distances from `source` avoiding `skip`, up to `max` and `limit` settled nodes.
    fn run(
        &mut self,
        out: &[Vec<(u32, u32)>],
        weight: &[(u32, u32)],
        source: u32,
        skip: u32,
        max: u32,
        limit: usize,
    ) {
        self.reset();
        self.dist[source as usize] = 0;
        self.touched.push(source);
        self.heap.push(Reverse((0, source)));
        let mut settled = 0;
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d > self.dist[v as usize] {
                continue;
            }
            if d > max || settled >= limit {
                break;
            }
            settled += 1;
            for &(w, e) in &out[v as usize] {
                if w == skip {
                    continue;
                }
                let nd = d + weight[e as usize].0;
                let slot = &mut self.dist[w as usize];
                if nd < *slot {
                    if *slot == NONE {
                        self.touched.push(w);
                    }
                    *slot = nd;
                    self.heap.push(Reverse((nd, w)));
                }
            }
        }
    }
}

/// Mutable graph during contraction: adjacency lists of edge ids into an arena.
struct Builder {
    out: Vec<Vec<(u32, u32)>>,
    inn: Vec<Vec<(u32, u32)>>,
    /// (time, dist) per arena edge.
    weight: Vec<(u32, u32)>,
    unpack: Vec<[u32; 2]>,
}

/// A shortcut to add: u → w replacing `first` (u → v) then `second` (v → w).
struct Shortcut {
    from: u32,
    to: u32,
    time: u32,
    dist: u32,
    first: u32,
    second: u32,
}

impl Builder {
    /// Add or improve the arc u → w (parallel arcs keep only the fastest).
    fn add(&mut self, from: u32, to: u32, time: u32, dist: u32, unpack: [u32; 2]) {
        if let Some(&(_, e)) = self.out[from as usize].iter().find(|(h, _)| *h == to) {
            if self.weight[e as usize].0 <= time {
                return;
            }
            let id = self.weight.len() as u32;
            self.weight.push((time, dist));
            self.unpack.push(unpack);
            for x in self.out[from as usize].iter_mut().filter(|x| x.0 == to) {
                x.1 = id;
            }
            for x in self.inn[to as usize].iter_mut().filter(|x| x.0 == from) {
                x.1 = id;
            }
            return;
        }
        let id = self.weight.len() as u32;
        self.weight.push((time, dist));
        self.unpack.push(unpack);
        self.out[from as usize].push((to, id));
        self.inn[to as usize].push((from, id));
    }

    /// Shortcuts needed if `v` were contracted now.
    fn shortcuts(&self, v: u32, ws: &mut Witness, limit: usize, found: &mut Vec<Shortcut>) {
        found.clear();
        let v_out = &self.out[v as usize];
        if v_out.is_empty() {
            return;
        }
        for &(u, e_in) in &self.inn[v as usize] {
            let t_in = self.weight[e_in as usize].0;
            let max = v_out
                .iter()
                .filter(|(w, _)| *w != u)
                .map(|(_, e)| t_in + self.weight[*e as usize].0)
                .max();
            let Some(max) = max else { continue };
            ws.run(&self.out, &self.weight, u, v, max, limit);
            for &(w, e_out) in v_out {
                if w == u {
                    continue;
                }
                let (t_out, d_out) = self.weight[e_out as usize];
                let time = t_in + t_out;
                if ws.dist[w as usize] > time {
                    found.push(Shortcut {
                        from: u,
                        to: w,
                        time,
                        dist: self.weight[e_in as usize].1 + d_out,
                        first: e_in,
                        second: e_out,
                    });
                }
            }
        }
    }

    fn priority(&self, v: u32, deleted: &[u32], ws: &mut Witness, buf: &mut Vec<Shortcut>) -> i64 {
        self.shortcuts(v, ws, SIMULATE_SETTLE_LIMIT, buf);
        let removed = (self.out[v as usize].len() + self.inn[v as usize].len()) as i64;
        let edge_difference = buf.len() as i64 - removed;
        // Equal weights: on the shared extracts and a 100k-node grid, 2·ED + DN and ED + 2·DN
        // gave no steadier matrix times (within noise) and slower contraction of grids.
        edge_difference + deleted[v as usize] as i64
    }
}

impl Ch {
    /// Contract a graph of `n` nodes. Self loops are ignored; parallel edges keep the fastest.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn build(n: usize, edges: &[InputEdge]) -> Ch {
        Self::build_with_progress(n, edges, &mut |_| {})
    }

    /// [`Ch::build`], calling `progress` with the number of contracted nodes now and then.
    pub fn build_with_progress(
        n: usize,
        edges: &[InputEdge],
        progress: &mut dyn FnMut(usize),
    ) -> Ch {
        let mut b = Builder {
            out: vec![Vec::new(); n],
            inn: vec![Vec::new(); n],
            weight: Vec::with_capacity(edges.len() * 2),
            unpack: Vec::with_capacity(edges.len() * 2),
        };
        for e in edges {
            if e.from != e.to {
                b.add(e.from, e.to, e.time, e.dist, [e.payload, ORIGINAL]);
            }
        }
        let mut ws = Witness::new(n);
        let mut buf = Vec::new();
        let mut deleted = vec![0u32; n];
        let mut priority: Vec<i64> = (0..n as u32)
            .map(|v| b.priority(v, &deleted, &mut ws, &mut buf))
            .collect();
        let mut heap: BinaryHeap<Reverse<(i64, u32)>> = (0..n as u32)
            .map(|v| Reverse((priority[v as usize], v)))
            .collect();
        let mut contracted = vec![false; n];
        let mut up_lists: Vec<Vec<Arc>> = vec![Vec::new(); n];
        let mut down_lists: Vec<Vec<Arc>> = vec![Vec::new(); n];
        let mut neighbours = Vec::new();
        let mut done = 0;
        while let Some(Reverse((p, v))) = heap.pop() {
            let vi = v as usize;
            if contracted[vi] || p != priority[vi] {
                continue;
            }
            // Lazy update: recompute, and postpone if the node is no longer the cheapest.
            let fresh = b.priority(v, &deleted, &mut ws, &mut buf);
            if let Some(Reverse((next, _))) = heap.peek()
                && fresh > *next
            {
                priority[vi] = fresh;
                heap.push(Reverse((fresh, v)));
                continue;
            }
            b.shortcuts(v, &mut ws, CONTRACT_SETTLE_LIMIT, &mut buf);
            contracted[vi] = true;
            done += 1;
            if done % 4096 == 0 {
                progress(done);
            }
            let out = std::mem::take(&mut b.out[vi]);
            let inn = std::mem::take(&mut b.inn[vi]);
            neighbours.clear();
            for &(w, e) in &out {
                b.inn[w as usize].retain(|x| x.0 != v);
                let (time, dist) = b.weight[e as usize];
                up_lists[vi].push(Arc {
                    head: w,
                    time,
                    dist,
                    id: e,
                });
                neighbours.push(w);
            }
            for &(u, e) in &inn {
                b.out[u as usize].retain(|x| x.0 != v);
                let (time, dist) = b.weight[e as usize];
                down_lists[vi].push(Arc {
                    head: u,
                    time,
                    dist,
                    id: e,
                });
                neighbours.push(u);
            }
            for s in std::mem::take(&mut buf) {
                b.add(s.from, s.to, s.time, s.dist, [s.first, s.second]);
            }
            neighbours.sort_unstable();
            neighbours.dedup();
            for &w in &neighbours {
                deleted[w as usize] += 1;
                let p = b.priority(w, &deleted, &mut ws, &mut buf);
                priority[w as usize] = p;
                heap.push(Reverse((p, w)));
            }
        }
        let (up_first, up) = csr(up_lists);
        let (down_first, down) = csr(down_lists);
        Ch {
            up_first,
            up,
            down_first,
            down,
            unpack: b.unpack,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.up_first.len().saturating_sub(1)
    }

    fn arcs(&self, forward: bool, v: u32) -> &[Arc] {
        let (first, arcs) = if forward {
            (&self.up_first, &self.up)
        } else {
            (&self.down_first, &self.down)
        };
        &arcs[first[v as usize] as usize..first[v as usize + 1] as usize]
    }

    /// Append the road-edge payloads of arc `id`, in travel order.
    pub fn unpack_into(&self, id: u32, out: &mut Vec<u32>) {
        let mut stack = vec![id];
        while let Some(e) = stack.pop() {
            let [a, b] = self.unpack[e as usize];
            if b == ORIGINAL {
                out.push(a);
            } else {
                stack.push(b);
                stack.push(a);
            }
        }
    }

    /// Fastest path between seed sets: `(time, dist, payloads, source seed node, target seed node)`.
    /// Seeds are `(node, time, dist)` offsets already paid to reach / leave the node.
    pub fn query(
        &self,
        sources: &[(u32, u32, u32)],
        targets: &[(u32, u32, u32)],
    ) -> Option<(u32, u32, Vec<u32>, u32, u32)> {
        WORKSPACE.with(|cell| {
            let mut guard = cell.borrow_mut();
            let ws = &mut *guard;
            ws.fwd.prepare(self.len());
            ws.bwd.prepare(self.len());
            let result = self.bidirectional(&mut ws.fwd, &mut ws.bwd, sources, targets);
            ws.fwd.reset();
            ws.bwd.reset();
            result
        })
    }

    fn bidirectional(
        &self,
        f: &mut Search,
        b: &mut Search,
        sources: &[(u32, u32, u32)],
        targets: &[(u32, u32, u32)],
    ) -> Option<(u32, u32, Vec<u32>, u32, u32)> {
        for &(v, t, d) in sources {
            f.seed(v, t, d);
        }
        for &(v, t, d) in targets {
            b.seed(v, t, d);
        }
        let mut best = (u64::MAX, 0u32, NONE);
        loop {
            let fmin = f.heap.peek().map_or(u64::MAX, |Reverse((d, _))| *d as u64);
            let bmin = b.heap.peek().map_or(u64::MAX, |Reverse((d, _))| *d as u64);
            if fmin >= best.0 && bmin >= best.0 {
                break;
            }
            let (s, other, forward) = if fmin <= bmin {
                (&mut *f, &*b, true)
            } else {
                (&mut *b, &*f, false)
            };
            // Only stale entries left on this side: its heap is now empty, look again.
            let Some((v, d)) = s.pop() else { continue };
            let o = other.dist[v as usize];
            if o != NONE && d as u64 + o as u64 <= best.0 {
                let cand = d as u64 + o as u64;
                if cand < best.0 {
                    best = (cand, s.dist_m[v as usize] + other.dist_m[v as usize], v);
                }
            }
            if !s.stalled(self.arcs(!forward, v), d) {
                s.relax(self.arcs(forward, v), v, d);
            }
        }
        let (time, dist, meet) = best;
        if meet == NONE {
            return None;
        }
        let mut payloads = Vec::new();
        let mut chain = Vec::new();
        let mut v = meet;
        while f.parent[v as usize] != NONE {
            chain.push(f.parent[v as usize]);
            v = f.pred[v as usize];
        }
        let source_seed = v;
        for &id in chain.iter().rev() {
            self.unpack_into(id, &mut payloads);
        }
        let mut v = meet;
        while b.parent[v as usize] != NONE {
            self.unpack_into(b.parent[v as usize], &mut payloads);
            v = b.pred[v as usize];
        }
        Some((time as u32, dist, payloads, source_seed, v))
    }

    /// Bucket many-to-many: row-major `(times, dists)` for every source × target, `NONE` when
    /// unreachable. Runs on `threads` threads (sources and targets are split between them).
    pub fn many_to_many(
        &self,
        sources: &[Vec<(u32, u32, u32)>],
        targets: &[Vec<(u32, u32, u32)>],
        threads: usize,
    ) -> (Vec<u32>, Vec<u32>) {
        let n = self.len();
        let threads = threads.max(1);
        // Backward searches fill buckets: (node, target, time, dist).
        let chunk = targets.len().div_ceil(threads).max(1);
        let parts: Vec<Vec<(u32, u32, u32, u32)>> = if threads == 1 {
            // On the calling thread, so its CPU time can be measured.
            vec![self.bucket_entries(targets, 0)]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = targets
                    .chunks(chunk)
                    .enumerate()
                    .map(|(c, part)| scope.spawn(move || self.bucket_entries(part, c * chunk)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("bucket search thread panicked"))
                    .collect()
            })
        };
        let mut first = vec![0u32; n + 1];
        for part in &parts {
            for e in part {
                first[e.0 as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let total = first[n] as usize;
        let mut buckets = vec![(0u32, 0u32, 0u32); total];
        for part in parts {
            for (v, j, t, d) in part {
                let slot = &mut fill[v as usize];
                buckets[*slot as usize] = (j, t, d);
                *slot += 1;
            }
        }
        // Forward searches scan the buckets of every settled node.
        let m = targets.len();
        let mut times = vec![NONE; sources.len() * m];
        let mut dists = vec![NONE; sources.len() * m];
        if m == 0 {
            return (times, dists);
        }
        let buckets = Buckets {
            first,
            entries: buckets,
        };
        if threads == 1 {
            self.scan_rows(sources, &buckets, &mut times, &mut dists);
            return (times, dists);
        }
        let rows_per = sources.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            for ((src, trow), drow) in sources
                .chunks(rows_per)
                .zip(times.chunks_mut(rows_per * m))
                .zip(dists.chunks_mut(rows_per * m))
            {
                let buckets = &buckets;
                scope.spawn(move || self.scan_rows(src, buckets, trow, drow));
            }
        });
        (times, dists)
    }

    /// Backward searches from `targets` (numbered from `offset`): `(node, target, time, dist)`.
    fn bucket_entries(
        &self,
        targets: &[Vec<(u32, u32, u32)>],
        offset: usize,
    ) -> Vec<(u32, u32, u32, u32)> {
        let mut s = Search::default();
        s.prepare(self.len());
        let mut entries = Vec::new();
        for (k, seeds) in targets.iter().enumerate() {
            let j = (offset + k) as u32;
            for &(v, t, d) in seeds {
                s.seed(v, t, d);
            }
            while let Some((v, d)) = s.pop() {
                if s.stalled(self.arcs(true, v), d) {
                    continue;
                }
                entries.push((v, j, d, s.dist_m[v as usize]));
                s.relax(self.arcs(false, v), v, d);
            }
            s.reset();
        }
        entries
    }

    /// Forward searches from `sources`, filling their rows (row-major, `m` = row length).
    fn scan_rows(
        &self,
        sources: &[Vec<(u32, u32, u32)>],
        buckets: &Buckets,
        times: &mut [u32],
        dists: &mut [u32],
    ) {
        let m = times.len() / sources.len().max(1);
        let mut s = Search::default();
        s.prepare(self.len());
        for (i, seeds) in sources.iter().enumerate() {
            let trow = &mut times[i * m..(i + 1) * m];
            let drow = &mut dists[i * m..(i + 1) * m];
            for &(v, t, d) in seeds {
                s.seed(v, t, d);
            }
            while let Some((v, d)) = s.pop() {
                if s.stalled(self.arcs(false, v), d) {
                    continue;
                }
                let dm = s.dist_m[v as usize];
                let range =
                    buckets.first[v as usize] as usize..buckets.first[v as usize + 1] as usize;
                for &(j, t, dd) in &buckets.entries[range] {
                    let total = d.saturating_add(t);
                    if total < trow[j as usize] {
                        trow[j as usize] = total;
                        drow[j as usize] = dm.saturating_add(dd);
                    }
                }
                s.relax(self.arcs(true, v), v, d);
            }
            s.reset();
        }
    }
}

/// Bucket entries `(target, time, dist)` grouped by node (CSR).
struct Buckets {
    first: Vec<u32>,
    entries: Vec<(u32, u32, u32)>,
}

fn csr(lists: Vec<Vec<Arc>>) -> (Vec<u32>, Vec<Arc>) {
    let mut first = Vec::with_capacity(lists.len() + 1);
    let mut arcs = Vec::with_capacity(lists.iter().map(Vec::len).sum());
    first.push(0);
    for l in lists {
        arcs.extend(l);
        first.push(arcs.len() as u32);
    }
    (first, arcs)
}

/// One direction of a query: distances, parents and a heap, reset in O(touched).
#[derive(Default)]
struct Search {
    dist: Vec<u32>,
    dist_m: Vec<u32>,
    parent: Vec<u32>,
    pred: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
}

impl Search {
    fn prepare(&mut self, n: usize) {
        if self.dist.len() < n {
            self.dist.resize(n, NONE);
            self.dist_m.resize(n, NONE);
            self.parent.resize(n, NONE);
            self.pred.resize(n, NONE);
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = NONE;
            self.parent[v as usize] = NONE;
        }
        self.touched.clear();
        self.heap.clear();
    }

    fn seed(&mut self, v: u32, t: u32, d: u32) {
        let slot = &mut self.dist[v as usize];
        if t < *slot {
            if *slot == NONE {
                self.touched.push(v);
            }
            *slot = t;
            self.dist_m[v as usize] = d;
            self.parent[v as usize] = NONE;
            self.heap.push(Reverse((t, v)));
        }
    }

    /// Next settled node and its distance, skipping stale heap entries.
    fn pop(&mut self) -> Option<(u32, u32)> {
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d == self.dist[v as usize] {
                return Some((v, d));
            }
        }
        None
    }

    /// Stall-on-demand: `v` (settled at `d`) is reached faster through a higher node already
    /// seen, so its label is not a shortest distance and nothing is searched from it. `opposite`
    /// are the arcs between `v` and higher nodes, pointing the other way than the search.
    fn stalled(&self, opposite: &[Arc], d: u32) -> bool {
        opposite.iter().any(|a| {
            let du = self.dist[a.head as usize];
            du != NONE && du.saturating_add(a.time) < d
        })
    }

    fn relax(&mut self, arcs: &[Arc], v: u32, d: u32) {
        let dm = self.dist_m[v as usize];
        for a in arcs {
            let nd = d.saturating_add(a.time);
            let slot = &mut self.dist[a.head as usize];
            if nd < *slot {
                if *slot == NONE {
                    self.touched.push(a.head);
                }
                *slot = nd;
                self.dist_m[a.head as usize] = dm.saturating_add(a.dist);
                self.parent[a.head as usize] = a.id;
                self.pred[a.head as usize] = v;
                self.heap.push(Reverse((nd, a.head)));
            }
        }
    }
}

/// Per-thread query state, grown to the largest graph queried on the thread, so a query
/// allocates nothing but its result.
#[derive(Default)]
struct Workspace {
    fwd: Search,
    bwd: Search,
}

thread_local! {
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

#[cfg(test)]
mod tests {
    use super::*;
    use petgraph::algo::dijkstra;
    use petgraph::graph::{DiGraph, NodeIndex};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    fn random_graph(seed: u64) -> (usize, Vec<InputEdge>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let n = rng.random_range(2..120);
        let m = rng.random_range(n..n * 4);
        let edges = (0..m)
            .map(|i| InputEdge {
                from: rng.random_range(0..n as u32),
                to: rng.random_range(0..n as u32),
                time: rng.random_range(0..1000),
                dist: rng.random_range(0..50),
                payload: i as u32,
            })
            .collect();
        (n, edges)
    }

    fn oracle(n: usize, edges: &[InputEdge], s: usize) -> Vec<Option<u32>> {
        let mut g: DiGraph<(), u32> = DiGraph::new();
        for _ in 0..n {
            g.add_node(());
        }
        for e in edges {
            g.add_edge(
                NodeIndex::new(e.from as usize),
                NodeIndex::new(e.to as usize),
                e.time,
            );
        }
        let d = dijkstra(&g, NodeIndex::new(s), None, |e| *e.weight());
        (0..n).map(|t| d.get(&NodeIndex::new(t)).copied()).collect()
    }

    #[test]
    fn ch_queries_and_matrices_equal_dijkstra_on_random_graphs() {
        for seed in 0..150u64 {
            let (n, edges) = random_graph(seed);
            let ch = Ch::build(n, &edges);
            let seeds: Vec<Vec<(u32, u32, u32)>> = (0..n as u32).map(|v| vec![(v, 0, 0)]).collect();
            let (times, _) = ch.many_to_many(&seeds, &seeds, 2);
            for s in 0..n {
                let want = oracle(n, &edges, s);
                for t in 0..n {
                    let got = ch.query(&[(s as u32, 0, 0)], &[(t as u32, 0, 0)]);
                    assert_eq!(
                        got.as_ref().map(|r| r.0),
                        want[t],
                        "seed {seed}: query {s} -> {t}"
                    );
                    let m = times[s * n + t];
                    assert_eq!(
                        (m != NONE).then_some(m),
                        want[t],
                        "seed {seed}: matrix {s} -> {t}"
                    );
                    // The unpacked path is a real path of the same length.
                    if let Some((time, _, payloads, a, b)) = got {
                        let mut at = a;
                        let mut sum = 0;
                        for p in payloads {
                            let e = edges[p as usize];
                            assert_eq!(e.from, at, "seed {seed}: unpacked path is broken");
                            at = e.to;
                            sum += e.time;
                        }
                        assert_eq!(
                            (at, sum),
                            (b, time),
                            "seed {seed}: unpacked path {s} -> {t}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn seeds_with_offsets_are_added_to_the_path() {
        // 0 -> 1 -> 2 with a direct but slow 0 -> 2.
        let e = |from, to, time, payload| InputEdge {
            from,
            to,
            time,
            dist: time,
            payload,
        };
        let ch = Ch::build(3, &[e(0, 1, 10, 0), e(1, 2, 10, 1), e(0, 2, 50, 2)]);
        let r = ch.query(&[(0, 5, 5)], &[(2, 7, 7)]).unwrap();
        assert_eq!((r.0, r.1), (32, 32));
        assert!(ch.query(&[(2, 0, 0)], &[(0, 0, 0)]).is_none());
    }
}
