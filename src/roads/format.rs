//! The graph file: a compact, versioned, checksummed little-endian binary.
//!
//! Owns: the byte layout. Layout (all integers little-endian):
//!
//! ```text
//! magic    8 bytes  "ANTARRG\x1a"
//! version  u32      FORMAT_VERSION
//! length   u64      payload length in bytes
//! payload  ...      see `write_payload`
//! sha256   32 bytes over the payload
//! ```
//!
//! Hand-written rather than serde so loading is a few linear copies (well under 200 ms for a
//! city), and so the layout is documented here and stable across dependency upgrades.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::ch::{Arc, Ch};
use super::{RoadGraph, RoadsError, Segment};

const MAGIC: &[u8; 8] = b"ANTARRG\x1a";
/// Bumped on every layout change; older files are refused with a clear error.
pub const FORMAT_VERSION: u32 = 1;

struct Writer(Vec<u8>);

impl Writer {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn len(&mut self, n: usize) {
        self.u32(n as u32);
    }
    fn coords(&mut self, c: &[[i32; 2]]) {
        self.len(c.len());
        for [a, b] in c {
            self.0.extend_from_slice(&a.to_le_bytes());
            self.0.extend_from_slice(&b.to_le_bytes());
        }
    }
    fn u32s(&mut self, v: &[u32]) {
        self.len(v.len());
        for x in v {
            self.u32(*x);
        }
    }
    fn arcs(&mut self, v: &[Arc]) {
        self.len(v.len());
        for a in v {
            self.u32(a.head);
            self.u32(a.time);
            self.u32(a.dist);
            self.u32(a.id);
        }
    }
}

/// Serialize a graph to bytes (header, payload, checksum).
pub(crate) fn to_bytes(g: &RoadGraph) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1 << 20));
    w.coords(&g.nodes);
    w.len(g.segments.len());
    for s in &g.segments {
        for v in [
            s.from,
            s.to,
            s.shape_start,
            s.shape_end,
            s.time_ms,
            s.len_dm,
        ] {
            w.u32(v);
        }
        w.u32(s.forward as u32 | (s.backward as u32) << 1);
    }
    w.coords(&g.shape);
    w.0.extend_from_slice(&g.snap_limit_m.to_le_bytes());
    w.u32s(&g.ch.up_first);
    w.arcs(&g.ch.up);
    w.u32s(&g.ch.down_first);
    w.arcs(&g.ch.down);
    w.len(g.ch.unpack.len());
    for [a, b] in &g.ch.unpack {
        w.u32(*a);
        w.u32(*b);
    }
    let payload = w.0;
    let mut out = Vec::with_capacity(payload.len() + 52);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&Sha256::digest(&payload));
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The payload ended early or held an impossible count: the file is damaged.
struct Short;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Short> {
        let end = self.at.checked_add(n).ok_or(Short)?;
        let s = self.bytes.get(self.at..end).ok_or(Short)?;
        self.at = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, Short> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().map_err(|_| Short)?,
        ))
    }
    fn words(&mut self, per_item: usize) -> Result<impl Iterator<Item = u32> + '_, Short> {
        let n = self.u32()? as usize;
        let bytes = self.take(n.checked_mul(per_item * 4).ok_or(Short)?)?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
    }
    fn coords(&mut self) -> Result<Vec<[i32; 2]>, Short> {
        let w: Vec<u32> = self.words(2)?.collect();
        Ok(w.chunks_exact(2)
            .map(|c| [c[0] as i32, c[1] as i32])
            .collect())
    }
    fn u32s(&mut self) -> Result<Vec<u32>, Short> {
        Ok(self.words(1)?.collect())
    }
    fn arcs(&mut self) -> Result<Vec<Arc>, Short> {
        let w: Vec<u32> = self.words(4)?.collect();
        Ok(w.chunks_exact(4)
            .map(|c| Arc {
                head: c[0],
                time: c[1],
                dist: c[2],
                id: c[3],
            })
            .collect())
    }
}

/// Parse bytes written by [`to_bytes`]; `path` only names the file in errors.
pub(crate) fn from_bytes(path: &Path, bytes: &[u8]) -> Result<RoadGraph, RoadsError> {
    let bad = |problem: String| RoadsError::GraphFile {
        path: path.to_owned(),
        problem,
    };
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return Err(bad(
            "not an antar graph file (wrong magic bytes); create one with `antar graph import`"
                .into(),
        ));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version != FORMAT_VERSION {
        return Err(bad(format!(
            "graph file format version {version}, this antar reads version {FORMAT_VERSION}; re-import the extract"
        )));
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let expected = 20u64.saturating_add(len).saturating_add(32);
    if bytes.len() as u64 != expected {
        return Err(bad(format!(
            "truncated or padded: header announces {expected} bytes, the file has {}",
            bytes.len()
        )));
    }
    let payload = &bytes[20..20 + len as usize];
    if Sha256::digest(payload).as_slice() != &bytes[20 + len as usize..] {
        return Err(bad("checksum mismatch: the file is corrupt".into()));
    }
    parse_payload(payload)
        .map_err(|Short| bad("payload is inconsistent with its checksum-valid header".into()))?
        .ok_or_else(|| bad("graph references out of range: the file is corrupt".into()))
}

fn parse_payload(payload: &[u8]) -> Result<Option<RoadGraph>, Short> {
    let mut r = Reader {
        bytes: payload,
        at: 0,
    };
    let nodes = r.coords()?;
    let segment_words: Vec<u32> = r.words(7)?.collect();
    let segments: Vec<Segment> = segment_words
        .chunks_exact(7)
        .map(|c| Segment {
            from: c[0],
            to: c[1],
            shape_start: c[2],
            shape_end: c[3],
            time_ms: c[4],
            len_dm: c[5],
            forward: c[6] & 1 != 0,
            backward: c[6] & 2 != 0,
        })
        .collect();
    let shape = r.coords()?;
    let snap_limit_m = f64::from_le_bytes(r.take(8)?.try_into().map_err(|_| Short)?);
    let ch = Ch {
        up_first: r.u32s()?,
        up: r.arcs()?,
        down_first: r.u32s()?,
        down: r.arcs()?,
        unpack: {
            let w: Vec<u32> = r.words(2)?.collect();
            w.chunks_exact(2).map(|c| [c[0], c[1]]).collect()
        },
    };
    if r.at != payload.len() {
        return Err(Short);
    }
    // Validate every index once here so queries can index without checks failing later.
    let n = nodes.len() as u32;
    let ok_segments = segments.iter().all(|s| {
        s.from < n
            && s.to < n
            && s.shape_start < s.shape_end
            && s.shape_end as usize <= shape.len()
            && s.shape_end - s.shape_start >= 2
    });
    let ok_csr = |first: &[u32], arcs: &[Arc]| {
        first.len() == nodes.len() + 1
            && first.windows(2).all(|w| w[0] <= w[1])
            && first.last().is_some_and(|&l| l as usize == arcs.len())
            && arcs
                .iter()
                .all(|a| a.head < n && (a.id as usize) < ch.unpack.len())
    };
    // A shortcut is always created after its two halves, so children have smaller ids; this
    // also rules out unpacking cycles in a crafted file.
    let ok_unpack = ch.unpack.iter().enumerate().all(|(i, &[a, b])| {
        if b == super::ch::ORIGINAL {
            (a / 2) < segments.len() as u32
        } else {
            (a as usize) < i && (b as usize) < i
        }
    });
    if !(ok_segments
        && ok_csr(&ch.up_first, &ch.up)
        && ok_csr(&ch.down_first, &ch.down)
        && ok_unpack)
    {
        return Ok(None);
    }
    Ok(Some(RoadGraph::assemble(
        nodes,
        segments,
        shape,
        ch,
        snap_limit_m,
    )))
}
