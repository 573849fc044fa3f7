//! Fetching the stack's programs on first use: Kafka's and the Spark connectors' jars and the
//! registry's archive from Maven Central (through `mvn`), Spark itself as the `pyspark` package
//! from PyPI (through `pip`, into a venv). Each download lands in a `.partial` folder that is
//! renamed into place once complete, so an interrupted fetch is redone rather than half-used.

use super::error::StackError;
use crate::settings::{StackConfig, Versions};
use nix::fcntl::{Flock, FlockArg};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;
use tokio::process::Command;

/// log4j 2 for the broker: `kafka_2.13`'s Maven tree carries no slf4j binding, so without these
/// the broker would log nothing at all.
const LOG4J_VERSION: &str = "2.24.3";

/// Connector jars Spark needs beside the `pyspark` package's own, matched by file-name prefix.
const SPARK_CONNECTOR_JARS: [&str; 5] = [
    "spark-sql-kafka-0-10_2.13-",
    "spark-token-provider-kafka-0-10_2.13-",
    "kafka-clients-",
    "commons-pool2-",
    "spark-avro_2.13-",
];

/// Where the fetched programs are.
#[derive(Debug, Clone)]
pub(crate) struct Artifacts {
    /// Folder of Kafka's jars (the broker's classpath).
    pub(crate) kafka_libs: PathBuf,
    /// The registry's runnable jar.
    pub(crate) registry_jar: PathBuf,
    /// `SPARK_HOME`: the installed `pyspark` package.
    pub(crate) spark_home: PathBuf,
    /// Connector jars, absolute paths for `spark.jars`.
    pub(crate) spark_jars: Vec<PathBuf>,
}

/// Something to say while fetching.
pub(crate) type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Makes sure the tools are there and every artifact is in the cache, fetching what is missing.
pub(crate) async fn ensure(
    cache: &Path,
    v: &Versions,
    progress: Progress<'_>,
) -> Result<Artifacts, StackError> {
    require_tool(
        "java",
        &["-version"],
        "a Java 17+ runtime (Debian: apt-get install openjdk-17-jdk-headless)",
    )
    .await?;
    let _lock = lock_cache(cache, progress).await?;
    let (kafka_libs, registry_jar, spark) = tokio::try_join!(
        kafka_jars(cache, v, progress),
        registry_app(cache, v, progress),
        spark_runtime(cache, v, progress),
    )?;
    Ok(Artifacts {
        kafka_libs,
        registry_jar,
        spark_home: spark.0,
        spark_jars: spark.1,
    })
}

/// An exclusive lock on the cache folder (created if missing), held until dropped: two
/// `stack up`s sharing a cache (say `make run` and `make test`) take turns fetching.
async fn lock_cache(
    cache: &Path,
    progress: Progress<'_>,
) -> Result<Flock<std::fs::File>, StackError> {
    std::fs::create_dir_all(cache)
        .map_err(|e| StackError::io("create the cache folder", cache, e))?;
    let path = cache.join(".lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| StackError::io("open", &path, e))?;
    let file = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => return Ok(lock),
        Err((file, _)) => file,
    };
    progress("another kafka-demo is fetching into the same cache; waiting for it…");
    tokio::task::spawn_blocking(move || Flock::lock(file, FlockArg::LockExclusive))
        .await
        .map_err(|e| StackError::io("lock", &path, std::io::Error::other(e)))?
        .map_err(|(_, errno)| StackError::io("lock", &path, errno.into()))
}

async fn require_tool(
    tool: &'static str,
    args: &[&str],
    what: &'static str,
) -> Result<(), StackError> {
    let found = Command::new(tool)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if found {
        Ok(())
    } else {
        Err(StackError::MissingTool { tool, what })
    }
}

async fn require_mvn() -> Result<(), StackError> {
    require_tool(
        "mvn",
        &["-v"],
        "Apache Maven, to fetch jars from Maven Central (Debian: apt-get install maven)",
    )
    .await
}

/// Kafka's runtime jars plus log4j, via a tiny generated pom.
async fn kafka_jars(
    cache: &Path,
    v: &Versions,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    let deps = [
        ("org.apache.kafka", "kafka_2.13", v.kafka.as_str()),
        ("org.apache.logging.log4j", "log4j-core", LOG4J_VERSION),
        (
            "org.apache.logging.log4j",
            "log4j-slf4j-impl",
            LOG4J_VERSION,
        ),
    ];
    let what = format!("Apache Kafka {} jars from Maven Central", v.kafka);
    maven_libs(
        &cache.join(format!("kafka-{}", v.kafka)),
        &deps,
        &what,
        progress,
    )
    .await
}

/// `dir/libs`, holding `deps` and their runtime dependencies from Maven Central, fetched once.
async fn maven_libs(
    dir: &Path,
    deps: &[(&str, &str, &str)],
    what: &str,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    let libs = dir.join("libs");
    if libs.is_dir() {
        return Ok(libs);
    }
    require_mvn().await?;
    let partial = copy_dependencies(dir, deps, what, progress).await?;
    rename_into_place(&partial, &libs)?;
    Ok(libs)
}

/// Kafka's own command-line tools (`org.apache.kafka:kafka-tools`, the broker's version) with
/// their runtime dependencies: a classpath folder for `java -cp 'libs/*' org.apache.kafka.tools.…`,
/// such as `ProducerPerformance`, which the benchmarks compare `kafka-demo produce` with.
pub(crate) async fn kafka_tools_jars(
    config: &StackConfig,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    let cache = &config.cache_dir;
    let _lock = lock_cache(cache, progress).await?;
    let version = config.versions.kafka.as_str();
    let deps = [
        ("org.apache.kafka", "kafka-tools", version),
        (
            "org.apache.logging.log4j",
            "log4j-slf4j-impl",
            LOG4J_VERSION,
        ),
    ];
    let what = format!("Apache Kafka {version} tools from Maven Central");
    let dir = cache.join(format!("kafka-tools-{version}"));
    maven_libs(&dir, &deps, &what, progress).await
}

/// The registry's Quarkus application, as published (a `tar.gz` classified `all`).
async fn registry_app(
    cache: &Path,
    v: &Versions,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    let dir = cache.join(format!("apicurio-registry-{}", v.apicurio));
    let app = dir.join("app");
    if let Some(jar) = runnable_jar(&app) {
        return Ok(jar);
    }
    require_mvn().await?;
    let what = format!("Apicurio Registry {} from Maven Central", v.apicurio);
    let started = announce(progress, &what);
    let partial = fresh_dir(&dir.join("app.partial"))?;
    let log = dir.join("fetch.log");
    let artifact = format!(
        "io.apicurio:apicurio-registry-app:{}:tar.gz:all",
        v.apicurio
    );
    let mut mvn = Command::new("mvn");
    mvn.args(["-B", "-q", "dependency:copy"])
        .arg(format!("-Dartifact={artifact}"))
        .arg(format!("-DoutputDirectory={}", partial.display()))
        .current_dir(&partial);
    run_logged(&mut mvn, &log, &what).await?;
    let archive = std::fs::read_dir(&partial)
        .ok()
        .and_then(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        })
        .ok_or_else(|| StackError::Fetch {
            what: what.clone(),
            log: log.clone(),
            reason: "no .tar.gz was downloaded".into(),
        })?;
    let mut tar = Command::new("tar");
    tar.arg("xzf").arg(&archive).current_dir(&partial);
    run_logged(&mut tar, &log, &what).await?;
    let _ = std::fs::remove_file(&archive);
    rename_into_place(&partial, &app)?;
    done(progress, &what, started);
    runnable_jar(&app).ok_or_else(|| StackError::Fetch {
        what,
        log,
        reason: "the archive holds neither quarkus-run.jar nor a *-runner.jar".into(),
    })
}

/// 3.0.x ships an uber `*-runner.jar`; 3.1+ a `quarkus-run.jar` at the archive root.
fn runnable_jar(app: &Path) -> Option<PathBuf> {
    let fast = app.join("quarkus-run.jar");
    if fast.is_file() {
        return Some(fast);
    }
    std::fs::read_dir(app)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-runner.jar"))
}

/// `pyspark` in a venv (its `jars/` include Spark Connect), plus the Kafka and Avro connectors.
async fn spark_runtime(
    cache: &Path,
    v: &Versions,
    progress: Progress<'_>,
) -> Result<(PathBuf, Vec<PathBuf>), StackError> {
    let dir = cache.join(format!("spark-{}", v.spark));
    let home = match spark_home(&dir.join("venv")) {
        Some(home) => home,
        None => install_pyspark(&dir, &v.spark, progress).await?,
    };
    let jars_dir = dir.join("connectors");
    if !jars_dir.is_dir() {
        require_mvn().await?;
        let deps = [
            (
                "org.apache.spark",
                "spark-sql-kafka-0-10_2.13",
                v.spark.as_str(),
            ),
            ("org.apache.spark", "spark-avro_2.13", v.spark.as_str()),
        ];
        let what = format!(
            "Spark {} Kafka and Avro connectors from Maven Central",
            v.spark
        );
        let partial = copy_dependencies(&dir, &deps, &what, progress).await?;
        keep_only_connectors(&partial)?;
        rename_into_place(&partial, &jars_dir)?;
    }
    let mut jars: Vec<PathBuf> = std::fs::read_dir(&jars_dir)
        .map_err(|e| StackError::io("read the connector folder", &jars_dir, e))?
        .flatten()
        .map(|e| e.path())
        .collect();
    jars.sort();
    Ok((home, jars))
}

fn spark_home(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.flatten()
        .map(|python| python.path().join("site-packages").join("pyspark"))
        .find(|home| home.join("bin").join("spark-submit").is_file() && home.join("jars").is_dir())
}

async fn install_pyspark(
    dir: &Path,
    version: &str,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    require_tool(
        "python3",
        &["--version"],
        "Python 3.9+ with venv and pip (Debian: apt-get install python3-venv)",
    )
    .await?;
    let what = format!("pyspark {version} from PyPI (about 450 MB)");
    let started = announce(progress, &what);
    std::fs::create_dir_all(dir).map_err(|e| StackError::io("create", dir, e))?;
    let partial = fresh_dir(&dir.join("venv.partial"))?;
    let log = dir.join("fetch.log");
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv"]).arg(&partial);
    run_logged(
        &mut venv,
        &log,
        "a Python venv (is python3-venv installed?)",
    )
    .await?;
    let mut pip = Command::new(partial.join("bin").join("pip"));
    pip.args(["install", "--disable-pip-version-check", "--no-input"])
        .arg(format!("pyspark=={version}"));
    run_logged(&mut pip, &log, &what).await?;
    // A venv records its own path in its scripts; only the pyspark folder is used from here on,
    // so moving the venv as a whole is safe.
    let venv_dir = dir.join("venv");
    rename_into_place(&partial, &venv_dir)?;
    done(progress, &what, started);
    spark_home(&venv_dir).ok_or_else(|| StackError::Fetch {
        what,
        log,
        reason: "pip finished but the venv holds no pyspark/bin/spark-submit".into(),
    })
}

fn keep_only_connectors(dir: &Path) -> Result<(), StackError> {
    let entries = std::fs::read_dir(dir).map_err(|e| StackError::io("read", dir, e))?;
    for path in entries.flatten().map(|e| e.path()) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !SPARK_CONNECTOR_JARS
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            std::fs::remove_file(&path).map_err(|e| StackError::io("remove", &path, e))?;
        }
    }
    Ok(())
}

/// Writes a pom naming `deps` and has Maven copy them and their runtime dependencies into a fresh
/// `jars.partial` folder under `dir`.
async fn copy_dependencies(
    dir: &Path,
    deps: &[(&str, &str, &str)],
    what: &str,
    progress: Progress<'_>,
) -> Result<PathBuf, StackError> {
    let started = announce(progress, what);
    std::fs::create_dir_all(dir).map_err(|e| StackError::io("create", dir, e))?;
    let pom = dir.join("pom.xml");
    std::fs::write(&pom, pom_xml(deps)).map_err(|e| StackError::io("write", &pom, e))?;
    let partial = fresh_dir(&dir.join("jars.partial"))?;
    let mut mvn = Command::new("mvn");
    mvn.args(["-B", "-q", "-f"])
        .arg(&pom)
        .args(["dependency:copy-dependencies", "-DincludeScope=runtime"])
        .arg(format!("-DoutputDirectory={}", partial.display()));
    run_logged(&mut mvn, &dir.join("fetch.log"), what).await?;
    done(progress, what, started);
    Ok(partial)
}

fn pom_xml(deps: &[(&str, &str, &str)]) -> String {
    let deps: String = deps
        .iter()
        .map(|(g, a, v)| format!("    <dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version></dependency>\n"))
        .collect();
    format!(
        "<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  \
         <groupId>kafka-demo</groupId><artifactId>stack-jars</artifactId><version>1</version><packaging>pom</packaging>\n  \
         <dependencies>\n{deps}  </dependencies>\n</project>\n"
    )
}

/// Runs a fetch step with its output appended to `log`; a failure carries the log's tail.
async fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result<(), StackError> {
    let out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| StackError::io("open", log, e))?;
    let err = out
        .try_clone()
        .map_err(|e| StackError::io("open", log, e))?;
    let status = cmd
        .kill_on_drop(true)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .await;
    let failure = match status {
        Ok(s) if s.success() => return Ok(()),
        Ok(s) => format!("exited with {s}"),
        Err(e) => format!("could not start: {e}"),
    };
    Err(StackError::Fetch {
        what: what.into(),
        log: log.into(),
        reason: telling_line(&super::process::tail(log, 200)).unwrap_or(failure),
    })
}

/// The line of a tool's output that says what went wrong: Maven's and pip's first `ERROR` line,
/// else the last line. Long lines are shortened.
fn telling_line(output: &str) -> Option<String> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line = lines
        .iter()
        .find(|l| l.contains("ERROR"))
        .or(lines.last())?;
    let line = line
        .trim_start_matches("[ERROR]")
        .trim_start_matches("ERROR:")
        .trim();
    let mut text: String = line.chars().take(300).collect();
    if text.len() < line.len() {
        text.push('…');
    }
    Some(text)
}

fn fresh_dir(dir: &Path) -> Result<PathBuf, StackError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| StackError::io("clear", dir, e))?;
    }
    std::fs::create_dir_all(dir).map_err(|e| StackError::io("create", dir, e))?;
    Ok(dir.into())
}

fn rename_into_place(from: &Path, to: &Path) -> Result<(), StackError> {
    std::fs::rename(from, to).map_err(|e| StackError::io("move into place", to, e))
}

fn announce(progress: Progress<'_>, what: &str) -> Instant {
    progress(&format!("fetching {what}…"));
    Instant::now()
}

fn done(progress: Progress<'_>, what: &str, started: Instant) {
    progress(&format!("fetched {what} in {:.0?}", started.elapsed()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pom_names_each_dependency() {
        let pom = pom_xml(&[("g.x", "a-b", "1.2"), ("h", "c", "3")]);
        assert!(pom
            .contains("<groupId>g.x</groupId><artifactId>a-b</artifactId><version>1.2</version>"));
        assert!(pom.contains("<groupId>h</groupId><artifactId>c</artifactId><version>3</version>"));
        assert!(pom.contains("<packaging>pom</packaging>"));
    }

    #[test]
    fn only_the_connector_jars_are_kept() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        for name in [
            "kafka-clients-3.9.2.jar",
            "hadoop-client-runtime-3.5.0.jar",
            "spark-avro_2.13-4.2.0.jar",
            "scala-library-2.13.15.jar",
        ] {
            std::fs::write(dir.path().join(name), b"")?;
        }
        keep_only_connectors(dir.path()).map_err(std::io::Error::other)?;
        let mut left: Vec<String> = std::fs::read_dir(dir.path())?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["kafka-clients-3.9.2.jar", "spark-avro_2.13-4.2.0.jar"]
        );
        Ok(())
    }

    #[test]
    fn finds_either_registry_layout() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        assert_eq!(runnable_jar(dir.path()), None);
        std::fs::write(
            dir.path().join("apicurio-registry-app-3.0.9-runner.jar"),
            b"",
        )?;
        assert!(runnable_jar(dir.path())
            .is_some_and(|p| p.ends_with("apicurio-registry-app-3.0.9-runner.jar")));
        std::fs::write(dir.path().join("quarkus-run.jar"), b"")?;
        assert!(runnable_jar(dir.path()).is_some_and(|p| p.ends_with("quarkus-run.jar")));
        Ok(())
    }

    #[test]
    fn the_telling_line_is_the_first_error() {
        let mvn = "[INFO] x\n[ERROR] Failed to execute goal: could not resolve kafka_2.13:jar:9.9.9\n[ERROR] -> [Help 1]\n";
        assert_eq!(
            telling_line(mvn).as_deref(),
            Some("Failed to execute goal: could not resolve kafka_2.13:jar:9.9.9")
        );
        let pip = "Collecting x\nERROR: No matching distribution found for pyspark==9.9.9\n";
        assert_eq!(
            telling_line(pip).as_deref(),
            Some("No matching distribution found for pyspark==9.9.9")
        );
        assert_eq!(telling_line("a\nlast\n\n").as_deref(), Some("last"));
        assert_eq!(telling_line(""), None);
    }

    #[tokio::test]
    async fn a_missing_tool_is_named() {
        let err = require_tool("kafka-demo-no-such-tool", &[], "something").await;
        assert!(matches!(
            err,
            Err(StackError::MissingTool {
                tool: "kafka-demo-no-such-tool",
                ..
            })
        ));
    }
}
