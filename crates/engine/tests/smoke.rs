use scorelab_engine::{RunConfig, Simulation};

#[test]
fn smoke() {
    let scenario = scorelab_scenario::load_builtin("seed-article").unwrap();
    let config = RunConfig { citizens: 20_000, days: 400, seed: 1, tracked: vec![1, 2, 3] };
    let mut sim = Simulation::new(&scenario, config).unwrap();
    let mut last = None;
    while !sim.is_done() {
        last = Some(sim.step());
    }
    let m = last.unwrap();
    println!("{m:#?}");
    println!("{:#?}", sim.totals());
    println!("links {}", sim.friend_links());
}
