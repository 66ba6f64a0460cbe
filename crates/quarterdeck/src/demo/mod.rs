//! Demo organisations, so a new user sees a living system at once. Deterministic: the same
//! day and seed give the same organisation.

mod builder;
pub mod kpis;
mod large;
mod small;

pub use large::large;
pub use small::small;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoSize {
    /// One company of ~60 people in 6 teams, modelled on the method's worked examples.
    Small,
    /// 10,000 people, ~1,200 teams, ~4,000 objectives, ~14,000 key results, 12 weeks of check-ins.
    Large,
}

impl std::fmt::Display for DemoSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DemoSize::Small => "small",
            DemoSize::Large => "large",
        })
    }
}
