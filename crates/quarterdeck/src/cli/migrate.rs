use crate::config::Config;

#[derive(Debug, clap::Args)]
pub struct Cmd {}

pub async fn run(_: Cmd, config: &Config) -> anyhow::Result<()> {
    let store = super::open(config).await?;
    println!("{} database {} is up to date", store.backend(), config.db_url()?.display());
    Ok(())
}
