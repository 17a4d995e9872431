//! levamp-sim
