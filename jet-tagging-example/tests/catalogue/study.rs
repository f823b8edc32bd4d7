//! `jet-tagging-example`, the study library: its settings file and opening a study.

use std::path::{Path, PathBuf};

use jet_tagging_example::Error;
use jet_tagging_example::config::StudyConfig;
use jet_tagging_example::models::Device;
use jet_tagging_example::study::{Options, Study};

use crate::{Case, Class, case, file, is, run_table, tmp, under_a_file};

fn options(out: &Path, data: Option<PathBuf>, config: StudyConfig) -> Options {
    Options {
        out: out.into(),
        data,
        config,
        device: Device::Cpu,
        threads: 1,
        shard: None,
        python: None,
        ap_types: None,
    }
}

fn open(opts: Options) -> Result<(), Error> {
    Study::open(opts, &mut |_| {}).map(drop)
}

fn from_file(entry: &'static str, class: Class, p: &Path) -> Case<Error> {
    let p = p.to_path_buf();
    case(entry, class, move || StudyConfig::from_file(&p).map(drop))
}

#[test]
fn study() {
    let dir = tmp("study");
    let quick = serde_json::to_string(&StudyConfig::quick()).unwrap();
    let cut = file(&dir, "cut.json", &quick[..quick.len() / 2]);
    let garbage = file(&dir, "garbage.json", "widths = [16, 5]");
    let unknown = file(&dir, "unknown.json", quick.replacen('{', "{\"bogus\": 1,", 1));
    let mut wide = StudyConfig::quick();
    wide.widths = vec![16, 1 << 40, 5];
    let absurd = file(&dir, "absurd.json", serde_json::to_string(&wide).unwrap());
    let mut zero = StudyConfig::quick();
    zero.epochs = 0;
    let zero = file(&dir, "zero.json", serde_json::to_string(&zero).unwrap());
    let out = dir.join("study");
    let under = under_a_file(&dir, "study");
    let cases: Vec<Case<Error>> = vec![
        is!(from_file("StudyConfig::from_file", Class::Missing, &dir.join("none.json")), Error::Io { .. })
            .names("none.json"),
        is!(from_file("StudyConfig::from_file", Class::Truncated, &cut), Error::Json { .. })
            .names("cut.json")
            .names("line 1"),
        is!(from_file("StudyConfig::from_file", Class::Garbage, &garbage), Error::Json { .. }).names("garbage.json"),
        is!(from_file("StudyConfig::from_file", Class::Unknown, &unknown), Error::Json { .. }).names("bogus"),
        is!(from_file("StudyConfig::from_file", Class::Absurd, &absurd), Error::Setting { .. })
            .names("widths")
            .names("absurd.json"),
        is!(from_file("StudyConfig::from_file", Class::BadValue, &zero), Error::Setting { .. }).names("epochs"),
        {
            let (o, d) = (out.clone(), dir.join("none.csv"));
            is!(
                case("Study::open", Class::Missing, move || open(options(&o, Some(d.clone()), StudyConfig::quick()))),
                Error::Data(jet_data::Error::Io { .. })
            )
            .names("none.csv")
            .leaves_no(&out)
        },
        {
            let o = out.clone();
            is!(
                case("Study::open", Class::BadValue, move || {
                    open(Options { shard: Some((2, 2)), ..options(&o, None, StudyConfig::quick()) })
                }),
                Error::Setting { .. }
            )
            .names("2/2")
            .leaves_no(&out)
        },
        {
            let o = under.clone();
            is!(
                case("Study::open", Class::Unwritable, move || open(options(&o, None, StudyConfig::quick()))),
                Error::Io { .. }
            )
            .names("a-file")
            .leaves_no(&under)
        },
    ];
    run_table("jet-tagging-example", cases);
}
