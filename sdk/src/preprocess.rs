//! Image preprocessing (placeholder, being written).
