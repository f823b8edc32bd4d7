//! The crate's single error type.

/// Everything that can go wrong while building, validating or solving a
/// bit-allocation problem. Messages name the layer, candidate and cost
/// involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The problem has no layers.
    #[error("the problem has no layers")]
    NoLayers,
    /// A layer has no candidates.
    #[error("layer `{layer}` has no candidates")]
    EmptyLayer {
        /// Layer name.
        layer: String,
    },
    /// Two layers share a name.
    #[error("layer name `{layer}` is used more than once")]
    DuplicateLayer {
        /// Layer name.
        layer: String,
    },
    /// Two candidates of one layer share a label.
    #[error("layer `{layer}` has candidate label `{candidate}` more than once")]
    DuplicateCandidate {
        /// Layer name.
        layer: String,
        /// Candidate label.
        candidate: String,
    },
    /// A sensitivity Ω is NaN or infinite.
    #[error("layer `{layer}`, candidate `{candidate}`: sensitivity Ω = {value} is not finite")]
    InvalidOmega {
        /// Layer name.
        layer: String,
        /// Candidate label.
        candidate: String,
        /// The value given.
        value: f64,
    },
    /// A cost is NaN, infinite or negative.
    #[error(
        "layer `{layer}`, candidate `{candidate}`: cost `{cost}` = {value} is not a finite \
         non-negative number"
    )]
    InvalidCost {
        /// Layer name.
        layer: String,
        /// Candidate label.
        candidate: String,
        /// Cost name.
        cost: String,
        /// The value given.
        value: f64,
    },
    /// A candidate does not define a cost that other candidates define.
    #[error("layer `{layer}`, candidate `{candidate}` does not define cost `{cost}`")]
    MissingCost {
        /// Layer name.
        layer: String,
        /// Candidate label.
        candidate: String,
        /// Cost name.
        cost: String,
    },
    /// A budget, sweep or Pareto front names a cost that no candidate defines.
    #[error("unknown cost `{cost}` (the table defines: {known})")]
    UnknownCost {
        /// The unknown name.
        cost: String,
        /// The cost names the table defines, comma separated.
        known: String,
    },
    /// A budget limit is NaN or infinite.
    #[error("budget on `{cost}` = {value} is not a finite number")]
    InvalidBudget {
        /// Cost name.
        cost: String,
        /// The value given.
        value: f64,
    },
    /// A tie or fixed constraint names a layer that does not exist.
    #[error("unknown layer `{layer}` in {context}")]
    UnknownLayer {
        /// The unknown name.
        layer: String,
        /// Where it was named (`tie`, `fixed`, …).
        context: String,
    },
    /// A fixed constraint names a candidate the layer does not have.
    #[error("layer `{layer}` has no candidate `{candidate}` (in {context})")]
    UnknownCandidate {
        /// Layer name.
        layer: String,
        /// The unknown candidate label.
        candidate: String,
        /// Where it was named.
        context: String,
    },
    /// Layers tied together do not offer the same candidate labels in the same order.
    #[error("layers `{first}` and `{other}` are tied but their candidate labels differ ({detail})")]
    TieMismatch {
        /// First layer of the tie group.
        first: String,
        /// The layer that differs.
        other: String,
        /// What differs.
        detail: String,
    },
    /// Fixed constraints contradict each other through a tie.
    #[error("layer `{layer}` is fixed to `{candidate}` but a tied layer is fixed to `{other}`")]
    ConflictingFix {
        /// Layer name.
        layer: String,
        /// Its fixed candidate.
        candidate: String,
        /// The conflicting candidate of a tied layer.
        other: String,
    },
    /// One budget alone cannot be met: even the cheapest allowed candidate in
    /// every layer exceeds it.
    #[error("budget `{cost}` <= {budget} is infeasible: the minimal achievable total is {minimal}")]
    InfeasibleBudget {
        /// Cost name.
        cost: String,
        /// The budget limit.
        budget: f64,
        /// The smallest total of this cost any allowed selection reaches.
        minimal: f64,
    },
    /// Every budget alone can be met, but not all of them together.
    #[error(
        "the budgets cannot be met together, though each alone can (minimal achievable totals: \
         {minimal})"
    )]
    InfeasibleCombination {
        /// `cost=minimal` for each budget, comma separated.
        minimal: String,
    },
    /// A sweep specification is malformed.
    #[error("invalid sweep `{spec}`: {reason}")]
    InvalidSweep {
        /// The specification as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A latency (or other) table lacks an entry.
    #[error("the table has no entry for layer `{layer}`, candidate `{candidate}`")]
    MissingTableEntry {
        /// Layer name.
        layer: String,
        /// Candidate label.
        candidate: String,
    },
    /// The exact Pareto front grew past the label cap.
    #[error("the Pareto front grew past {cap} partial labels at layer `{layer}`; raise the cap or use a sweep")]
    FrontTooLarge {
        /// The cap.
        cap: usize,
        /// Layer where the cap was exceeded.
        layer: String,
    },
    /// The time or node limit ran out before any selection meeting the budgets was found.
    #[error("the search limit ran out before a feasible selection was found ({0})")]
    LimitReached(String),
    /// microlp failed (numerical trouble) or returned a selection that does not
    /// pass the exact check.
    #[error("the LP/MIP solver failed: {0}")]
    Solver(String),
    /// Reading or parsing JSON failed.
    #[error("JSON: {0}")]
    Json(String),
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e.to_string())
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
