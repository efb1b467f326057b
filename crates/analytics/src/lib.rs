//! csgen's analysis side, over the Parquet lake the pipeline writes:
//!
//! - SQL over the lake as table `events`, partition columns included (DataFusion);
//! - the standard reports (traffic, groups, products, users, sessions, funnel);
//! - `verify`: the lake against the realistic model's ground-truth manifest.
