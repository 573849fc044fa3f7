//! The local cluster's secrets and certificates, made on its first start and kept in its folder:
//! the SCRAM user's password, the key stores' password, the Spark Connect token (each a file
//! only its owner may read), and a CA with one certificate for every node, all made with the
//! JDK's `keytool`.

use crate::stack::error::StackError;
use crate::stack::services::write_private;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tokio::process::Command;

/// The SCRAM user clients of the local cluster log in as.
pub(crate) const KAFKA_USER: &str = "kafka-demo";

/// The generated secrets, each also in a file of its own under `secrets/`.
#[derive(Clone)]
pub(crate) struct Secrets {
    pub(crate) kafka_password: String,
    pub(crate) store_password: String,
    pub(crate) spark_token: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(…)")
    }
}

/// Files of the secrets, for clients that read them from disk (the cluster's profile).
pub(crate) fn secret_file(dir: &Path, name: &str) -> PathBuf {
    dir.join("secrets").join(name)
}

/// The secrets under `dir`, made now for those missing.
pub(crate) fn ensure_secrets(dir: &Path) -> Result<Secrets, StackError> {
    let folder = dir.join("secrets");
    std::fs::create_dir_all(&folder).map_err(|e| StackError::io("create", &folder, e))?;
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| StackError::io("restrict", &folder, e))?;
    let one = |name: &str| -> Result<String, StackError> {
        let path = secret_file(dir, name);
        match std::fs::read_to_string(&path) {
            Ok(text) if !text.trim().is_empty() => return Ok(text.trim().to_owned()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StackError::io("read", &path, e)),
        }
        let secret = random_secret();
        write_private(&path, &format!("{secret}\n"))?;
        Ok(secret)
    };
    Ok(Secrets {
        kafka_password: one("kafka-password")?,
        store_password: one("store-password")?,
        spark_token: one("spark-token")?,
    })
}

/// 24 random bytes as URL-safe base64: no character a properties file, a JAAS line or a URL
/// parameter would treat specially.
fn random_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 24] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Where the certificates are.
#[derive(Debug, Clone)]
pub(crate) struct Certs {
    /// The CA's certificate, PEM: what clients trust.
    pub(crate) ca_pem: PathBuf,
    /// PKCS#12 store of the nodes' key and certificate (signed by the CA, for 127.0.0.1 and
    /// localhost).
    pub(crate) keystore: PathBuf,
    /// PKCS#12 store holding the CA's certificate: what nodes trust of each other.
    pub(crate) truststore: PathBuf,
}

/// The certificates under `dir/certs`, made by `keytool` when missing. They are made in a
/// `.partial` folder renamed into place once complete, so an interrupted run starts over.
pub(crate) async fn ensure_certs(dir: &Path, secrets: &Secrets) -> Result<Certs, StackError> {
    let folder = dir.join("certs");
    let certs = |folder: &Path| Certs {
        ca_pem: folder.join("ca.pem"),
        keystore: folder.join("node.p12"),
        truststore: folder.join("trust.p12"),
    };
    if folder.join("ca.pem").is_file() {
        return Ok(certs(&folder));
    }
    let partial = dir.join("certs.partial");
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| StackError::io("create", &partial, e))?;
    let pass = secrets.store_password.as_str();
    let made = certs(&partial);
    let ca_store = partial.join("ca.p12");
    let csr = partial.join("node.csr");
    let signed = partial.join("node.pem");
    // One keytool run: its words, then the key store it works on.
    let run = |words: &[&str], store: &Path| -> Vec<String> {
        let store = ["-storetype", "PKCS12", "-keystore", path_str(store)];
        words
            .iter()
            .chain(&store)
            .map(|w| (*w).to_owned())
            .collect()
    };
    let import = |alias: &str, file: &Path, store: &Path| {
        run(
            &[
                "-importcert",
                "-noprompt",
                "-alias",
                alias,
                "-file",
                path_str(file),
            ],
            store,
        )
    };
    const EC: [&str; 6] = [
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-validity",
        "3650",
    ];
    let (ca_dname, node_dname) = ("CN=kafka-demo local cluster CA", "CN=localhost");
    #[rustfmt::skip]
    let steps = [
        run(&[&["-genkeypair", "-alias", "ca", "-dname", ca_dname, "-ext", "bc:c"][..], &EC].concat(), &ca_store),
        run(&["-exportcert", "-rfc", "-alias", "ca", "-file", path_str(&made.ca_pem)], &ca_store),
        run(&[&["-genkeypair", "-alias", "node", "-dname", node_dname][..], &EC].concat(), &made.keystore),
        run(&["-certreq", "-alias", "node", "-file", path_str(&csr)], &made.keystore),
        run(&["-gencert", "-rfc", "-alias", "ca", "-infile", path_str(&csr), "-outfile", path_str(&signed),
              "-validity", "3650", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
              "-ext", "EKU=serverAuth,clientAuth"], &ca_store),
        import("ca", &made.ca_pem, &made.keystore),
        import("node", &signed, &made.keystore),
        import("ca", &made.ca_pem, &made.truststore),
    ];
    for args in steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        keytool(&args, pass, &partial).await?;
    }
    // The CA's key signs nothing more: it is not kept.
    for spent in [ca_store, csr, signed] {
        let _ = std::fs::remove_file(spent);
    }
    std::fs::rename(&partial, &folder)
        .map_err(|e| StackError::io("move into place", &folder, e))?;
    Ok(certs(&folder))
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

/// One `keytool` run, the store password given through its environment (not its arguments,
/// where other local users could read it).
async fn keytool(args: &[&str], password: &str, dir: &Path) -> Result<(), StackError> {
    let output = Command::new("keytool")
        .args(args)
        .args(["-storepass:env", "KAFKA_DEMO_STORE_PASSWORD"])
        .env("KAFKA_DEMO_STORE_PASSWORD", password)
        .current_dir(dir)
        .output()
        .await
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => StackError::MissingTool {
                tool: "keytool",
                what: "a Java 17+ JDK, whose keytool makes the cluster's certificates \
                       (Debian: apt-get install openjdk-17-jdk-headless)",
            },
            _ => StackError::io("run keytool in", dir, e),
        })?;
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    Err(StackError::Exited {
        service: format!("keytool {}", args.first().copied().unwrap_or_default()),
        status: output.status.to_string(),
        log: dir.to_owned(),
        tail: said.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_made_once_and_readable_by_their_owner_only() -> Result<(), StackError> {
        let dir =
            tempfile::tempdir().map_err(|e| StackError::io("create", Path::new("/tmp"), e))?;
        let first = ensure_secrets(dir.path())?;
        let again = ensure_secrets(dir.path())?;
        assert_eq!(first.spark_token, again.spark_token);
        assert_ne!(first.kafka_password, first.store_password);
        assert_eq!(first.kafka_password.len(), 32);
        let mode = |p: PathBuf| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
        let file = secret_file(dir.path(), "kafka-password");
        assert_eq!(mode(file).ok(), Some(0o600));
        assert_eq!(mode(dir.path().join("secrets")).ok(), Some(0o700));
        assert!(!format!("{first:?}").contains(&first.spark_token));
        Ok(())
    }

    #[tokio::test]
    async fn keytool_makes_a_ca_and_a_node_certificate_it_signed() -> Result<(), StackError> {
        let dir =
            tempfile::tempdir().map_err(|e| StackError::io("create", Path::new("/tmp"), e))?;
        let secrets = ensure_secrets(dir.path())?;
        let certs = ensure_certs(dir.path(), &secrets).await?;
        let pem = std::fs::read_to_string(&certs.ca_pem).unwrap_or_default();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
        assert!(!dir.path().join("certs.partial").exists());
        // The node's store holds its key with the chain up to the CA; the CA's key is gone.
        let list = Command::new("keytool")
            .args(["-list", "-v", "-storetype", "PKCS12", "-keystore"])
            .arg(&certs.keystore)
            .args(["-storepass:env", "PASS"])
            .env("PASS", &secrets.store_password)
            .output()
            .await
            .map_err(|e| StackError::io("run keytool on", &certs.keystore, e))?;
        let listed = String::from_utf8_lossy(&list.stdout);
        assert!(list.status.success(), "{listed}");
        assert!(
            listed.contains("Alias name: node") && listed.contains("Certificate chain length: 2"),
            "{listed}"
        );
        assert!(listed.contains("IPAddress: 127.0.0.1"), "{listed}");
        assert!(!certs.ca_pem.with_file_name("ca.p12").exists());
        // A second call keeps what is there.
        let again = ensure_certs(dir.path(), &secrets).await?;
        assert_eq!(
            std::fs::read_to_string(&again.ca_pem).unwrap_or_default(),
            pem
        );
        Ok(())
    }
}
