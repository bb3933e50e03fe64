import { spawnSync } from 'node:child_process';
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CertificateAuthority {
  /** The CA certificate (PEM): trust this to reach the server. */
  caFile: string;
  caKeyFile: string;
  /** Server certificate (PEM) for 127.0.0.1 and localhost, signed by the CA. */
  certFile: string;
  keyFile: string;
  /**
   * A directory holding only ca.crt, as skopeo's --cert-dir / --src-cert-dir / --dest-cert-dir want
   * (containers/image reads *.crt there as CAs and pairs *.cert with *.key as client certificates, so
   * a stray server key beside them would be an error).
   */
  certDir: string;
}

export interface SigningKeyPair {
  /** Self-signed certificate (PEM) with keyUsage digitalSignature. */
  certFile: string;
  /** RSA private key (PEM, PKCS#8). */
  keyFile: string;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run openssl: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
}

/**
 * Makes a throw-away CA and a server certificate for 127.0.0.1 / localhost signed by it, in dir.
 * Files: ca.crt, ca.key, server.pem, server-key.pem, server.csr, server-ext.cnf and certs.d/ca.crt.
 */
export function makeCertificateAuthority(dir: string): CertificateAuthority {
  mkdirSync(dir, { recursive: true });
  const caFile = path.join(dir, 'ca.crt');
  const caKeyFile = path.join(dir, 'ca.key');
  const certFile = path.join(dir, 'server.pem');
  const keyFile = path.join(dir, 'server-key.pem');
  openssl(
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', caKeyFile, '-out', caFile, '-subj', '/CN=ferry test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    ['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', keyFile, '-out', 'server.csr', '-subj', '/CN=127.0.0.1'],
    dir,
  );
  writeFileSync(
    path.join(dir, 'server-ext.cnf'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  openssl(
    [
      'x509', '-req', '-in', 'server.csr', '-CA', caFile, '-CAkey', caKeyFile, '-set_serial', `0x${randomSerial()}`,
      '-days', '2', '-sha256', '-extfile', 'server-ext.cnf', '-out', certFile,
    ],
    dir,
  );
  const certDir = path.join(dir, 'certs.d');
  mkdirSync(certDir, { recursive: true });
  copyFileSync(caFile, path.join(certDir, 'ca.crt'));
  return { caFile, caKeyFile, certFile, keyFile, certDir };
}

/**
 * A self-signed RSA certificate + key for signing JWTs (the token issuer). distribution trusts it when
 * the certificate is listed in auth.token.rootcertbundle and sent as the token header's x5c.
 */
export function makeSigningKeyPair(dir: string, commonName = 'ferry-test-issuer'): SigningKeyPair {
  mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, 'issuer.crt');
  const keyFile = path.join(dir, 'issuer.key');
  openssl(
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${commonName}`,
      '-addext', 'keyUsage=critical,digitalSignature',
    ],
    dir,
  );
  return { certFile, keyFile };
}

function randomSerial(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += Math.floor(Math.random() * 16).toString(16);
  return `1${s}`;
}
