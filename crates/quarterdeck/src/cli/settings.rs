use super::output::json;
use quarterdeck_app::App;
use quarterdeck_app::org::UpdateSettings;

#[derive(Debug, clap::Args)]
pub struct Cmd {
    /// Set the organisation's time zone (an IANA name such as Europe/Oslo or UTC). Its
    /// calendar days are "today", the days KPI periods count and the days check-ins count
    /// for; every stored period value is recomputed.
    #[arg(long, value_name = "NAME")]
    time_zone: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Cmd, app: &App) -> anyhow::Result<()> {
    let settings = match cmd.time_zone {
        Some(zone) => {
            let version = app.settings().await?.version;
            app.update_settings(version, UpdateSettings { version: None, time_zone: Some(zone) }).await?
        }
        None => app.settings().await?,
    };
    if cmd.json {
        return json(&settings);
    }
    println!("time zone  {}", settings.time_zone);
    Ok(())
}
