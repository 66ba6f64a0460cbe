//! KPIs: the gauges of the running business (METHOD.md §2, §5, §9). Separate from OKRs;
//! they meet through explicit links (a key result measured from a KPI, a guardrail on an
//! objective).

pub mod aggregate;
pub mod candidate;
pub mod definition;
pub mod drift;
pub mod formula;
pub mod health;
pub mod period;
pub mod source;
pub mod stats;
pub mod tree;
pub mod trust;
