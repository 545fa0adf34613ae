"""Who signed a tag, and whether they may: SSH signatures as git makes and checks them.

Pure parsing on the standard library: `sshwire` (the SSH wire encoding), `sshkeys` (public
keys, fingerprints, private key files inspected), `sshsig` (OpenSSH's SSHSIG blob and armor),
`allowed_signers` (git's gpg.ssh.allowedSignersFile and revocation lists, read as ssh-keygen
reads them), `openpgp` (the issuer of an OpenPGP signature, not verified) and `verify` (a tag's
SignatureCheck). The cryptography itself is `sshcrypto`, the only module that needs the
optional `cryptography` package (`pip install 'gto[sign]'`); it is imported only when a
signature is made or an SSH signature checked. Where the raw tag object is cut into payload
and signature is git's business: gto.git.signature.

Nothing is imported here: `gto --help` and reads of unsigned registries pay nothing.
"""
