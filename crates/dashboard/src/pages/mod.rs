//! The pages, rendered on the server as HTML with inline SVG charts (maud
//! escapes every value, so a run or scenario name cannot inject markup).

pub mod citizen;
pub mod compare;
pub mod layout;
pub mod population;
pub mod runs_list;
