//! A policy checkpoint as bytes: a magic line, the network's spec and
//! provenance as one JSON line, then the variables in libtorch's stream
//! format. Bytes, not files: the caller writes them atomically (the CLI's
//! temp-file-and-rename), so a crash never leaves half a checkpoint.

use std::io::Cursor;

use crate::error::RuntimeError;
use crate::policy_net::{NetSpec, PolicyNet};

const MAGIC: &[u8] = b"RWD-POLICY 1\n";

/// What a checkpoint says about itself besides its weights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub spec: NetSpec,
    /// The task the policy was trained on (the simulator's task name).
    pub task: String,
    /// Free-form provenance: how it was trained.
    pub note: String,
    /// AFIL's guidance scale for a network with a failure head.
    #[serde(default)]
    pub guidance: f64,
}

pub fn to_bytes(net: &PolicyNet, task: &str, note: &str) -> Result<Vec<u8>, RuntimeError> {
    let header = Header { spec: net.spec.clone(), task: task.to_string(), note: note.to_string(), guidance: net.guidance() };
    let mut bytes = MAGIC.to_vec();
    let json = serde_json::to_string(&header).map_err(|e| RuntimeError::Torch(e.to_string()))?;
    bytes.extend_from_slice(json.as_bytes());
    bytes.push(b'\n');
    net.vs.save_to_stream(&mut bytes)?;
    Ok(bytes)
}

/// Reads a checkpoint; `path` only names it in errors.
pub fn from_bytes(bytes: &[u8], path: &str) -> Result<(PolicyNet, Header), RuntimeError> {
    let bad = |problem: String| RuntimeError::Checkpoint { path: path.to_string(), problem };
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("not an rwd policy checkpoint (wrong magic line)".into()))?;
    let newline = rest.iter().position(|&b| b == b'\n').ok_or_else(|| bad("truncated header".into()))?;
    let header: Header =
        serde_json::from_slice(&rest[..newline]).map_err(|e| bad(format!("unreadable header: {e}")))?;
    let mut net = PolicyNet::new(header.spec.clone()).map_err(|e| bad(format!("invalid network spec: {e}")))?;
    net.vs
        .load_from_stream(Cursor::new(&rest[newline + 1..]))
        .map_err(|e| bad(format!("unreadable weights: {e}")))?;
    net.set_guidance(header.guidance).map_err(|e| bad(e.to_string()))?;
    Ok((net, header))
}
