//! `jet-tagging-example` holds the `jet-tagging` binary, the LHC jet-tagging study composed from
//! the workspace's libraries. Its data come from `jet-data` (the project's own Pythia8 + FastJet
//! simulator and its shipped sample).
//!
//! Today the binary runs the simulator (`jet-tagging simulate`); the study's other steps
//! (`train`, `hessian`, `allocate`, `finetune`, `export`, `firmware`, `report`, `reproduce`) are
//! still to come. The chain test (`tests/chain.rs`) composes the libraries on the built-in jets.
