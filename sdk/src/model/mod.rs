//! PE Core model (being written).
