//! The company's calibration and roll-out: the organisation's figures per cycle and the
//! teams whose scores read as sandbagging or fantasy.

use super::{PageResult, Viewer};
use minijinja::context;

pub async fn page(v: Viewer) -> PageResult {
    let calibration = v.app.calibration(None).await?;
    Ok(v.render("calibration.html", "company", context! { calibration }))
}
