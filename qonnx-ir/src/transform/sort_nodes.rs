//! Sorts the nodes topologically.

use crate::error::Result;
use crate::model::Model;

/// Reorders the nodes so that every node comes after the producers of its inputs (errors on a
/// cycle or a missing input).
pub fn sort_nodes(model: &mut Model) -> Result<()> {
    model.graph.sort()
}
