//! Privacy: encrypting and decrypting the scopedPDU in place.
//!
//! - DES-CBC (RFC 3414 §8): key = privacy key bytes 0..8, pre-IV = bytes 8..16; salt =
//!   engineBoots (4 bytes, big-endian) ‖ a local 32-bit counter; IV = pre-IV XOR salt;
//!   plaintext padded to 8 bytes.
//! - 3DES-EDE-CBC (draft-reeder-snmpv3-usm-3desede-00): key = bytes 0..24 of the
//!   32-byte (Reeder-extended) privacy key, pre-IV = bytes 24..32; salt and IV as DES.
//! - AES-CFB128 (RFC 3826, and AES-192/256 from the drafts): IV = engineBoots ‖
//!   engineTime ‖ the 64-bit salt, all big-endian; no padding.
//!
//! In each case msgPrivacyParameters is the 8-byte salt. Decryption leaves DES padding
//! in place: the BER parser ignores bytes after the scopedPDU SEQUENCE.
//!
//! A [`Privacy`] expands the cipher key schedule once per key; per message it only
//! copies that schedule into a mode object on the stack. Salts are the caller's: keep a
//! per-engine counter (RFC 3826 §3.1.2.1 suggests a random start) and never reuse a
//! value with one key.

use std::fmt;

use cipher::consts::U8;
use cipher::{
    Array, BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt,
    BlockSizeUser, InnerIvInit, KeyInit,
};
use zeroize::Zeroize;

use super::algorithm::PrivProtocol;
use super::error::CryptoError;
use super::key::Key;

/// Length of msgPrivacyParameters for every USM privacy protocol.
pub const PRIV_PARAMS_LEN: usize = 8;

/// DES and 3DES block size.
const DES_BLOCK: usize = 8;

/// The expanded cipher key, one variant per cipher.
#[derive(Clone)]
enum CipherState {
    Des(des::Des),
    Tdes(des::TdesEde3),
    Aes128(aes::Aes128),
    Aes192(aes::Aes192),
    Aes256(aes::Aes256),
}

fn init<C: KeyInit>(key: &[u8]) -> Result<C, CryptoError> {
    C::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        expected: C::key_size(),
        actual: key.len(),
    })
}

/// CBC-encrypts whole 8-byte blocks of `buf` in place.
fn cbc_encrypt<C>(cipher: &C, iv: [u8; 8], buf: &mut [u8])
where
    C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U8> + Clone,
{
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    cbc::Encryptor::inner_iv_init(cipher.clone(), &Array::from(iv)).encrypt_blocks(blocks);
}

/// CBC-decrypts whole 8-byte blocks of `buf` in place.
fn cbc_decrypt<C>(cipher: &C, iv: [u8; 8], buf: &mut [u8])
where
    C: BlockCipherDecrypt + BlockSizeUser<BlockSize = U8> + Clone,
{
    let (blocks, _) = Array::slice_as_chunks_mut(buf);
    cbc::Decryptor::inner_iv_init(cipher.clone(), &Array::from(iv)).decrypt_blocks(blocks);
}

/// RFC 3826 §3.1.2.1: IV = engineBoots ‖ engineTime ‖ salt.
fn aes_iv(engine_boots: u32, engine_time: u32, salt: [u8; 8]) -> [u8; 16] {
    let mut iv = [0u8; 16];
    let (bt, s) = iv.split_at_mut(8);
    let (b, t) = bt.split_at_mut(4);
    b.copy_from_slice(&engine_boots.to_be_bytes());
    t.copy_from_slice(&engine_time.to_be_bytes());
    s.copy_from_slice(&salt);
    iv
}

fn xor8(a: [u8; 8], b: [u8; 8]) -> [u8; 8] {
    let mut out = a;
    for (o, x) in out.iter_mut().zip(b) {
        *o ^= x;
    }
    out
}

/// A privacy key with its cipher key schedule expanded, for any number of messages.
#[derive(Clone)]
pub struct Privacy {
    proto: PrivProtocol,
    cipher: CipherState,
    /// DES/3DES pre-IV; zeros for AES.
    pre_iv: [u8; 8],
}

impl Privacy {
    /// Expands the privacy key for `proto`. The key must be at least
    /// [`PrivProtocol::key_material_len`] bytes (as [`super::priv_key`] returns it);
    /// only that many leading bytes are used, the way net-snmp cuts a longer localized
    /// key.
    pub fn new(proto: PrivProtocol, key: &Key) -> Result<Self, CryptoError> {
        let need = proto.key_material_len();
        let material = key.as_bytes().get(..need).ok_or(CryptoError::KeyLength {
            expected: need,
            actual: key.len(),
        })?;
        let (cipher_key, rest) = material.split_at(proto.key_len());
        let mut pre_iv = [0u8; 8];
        if let Ok(p) = <[u8; 8]>::try_from(rest) {
            pre_iv = p;
        }
        let cipher = match proto {
            PrivProtocol::Des => CipherState::Des(init(cipher_key)?),
            PrivProtocol::TripleDes => CipherState::Tdes(init(cipher_key)?),
            PrivProtocol::Aes128 => CipherState::Aes128(init(cipher_key)?),
            PrivProtocol::Aes192 | PrivProtocol::Aes192Cisco => {
                CipherState::Aes192(init(cipher_key)?)
            }
            PrivProtocol::Aes256 | PrivProtocol::Aes256Cisco => {
                CipherState::Aes256(init(cipher_key)?)
            }
        };
        Ok(Self {
            proto,
            cipher,
            pre_iv,
        })
    }

    /// The protocol.
    pub fn protocol(&self) -> PrivProtocol {
        self.proto
    }

    /// The salt (msgPrivacyParameters) for this protocol: DES/3DES use engineBoots and
    /// the low 32 bits of `salt_counter`, AES the whole 64-bit counter.
    fn salt(&self, engine_boots: u32, salt_counter: u64) -> [u8; 8] {
        match self.cipher {
            CipherState::Des(_) | CipherState::Tdes(_) => {
                let mut salt = [0u8; 8];
                let (b, c) = salt.split_at_mut(4);
                b.copy_from_slice(&engine_boots.to_be_bytes());
                // RFC 3414 §8.1.1.1: a 32-bit local integer; the high half is unused.
                c.copy_from_slice(&((salt_counter & 0xffff_ffff) as u32).to_be_bytes());
                salt
            }
            _ => salt_counter.to_be_bytes(),
        }
    }

    /// Encrypts the serialized scopedPDU in `plaintext` in place, padding it for
    /// DES/3DES first (by at most 7 bytes, a reallocation only if the `Vec` has no spare
    /// capacity). Returns msgPrivacyParameters.
    ///
    /// `engine_boots`/`engine_time` are the authoritative engine's values carried in
    /// the message; `salt_counter` must not repeat for one key.
    pub fn encrypt(
        &self,
        engine_boots: u32,
        engine_time: u32,
        salt_counter: u64,
        plaintext: &mut Vec<u8>,
    ) -> Result<[u8; PRIV_PARAMS_LEN], CryptoError> {
        let padded = self.proto.ciphertext_len(plaintext.len());
        plaintext.resize(padded, 0);
        self.encrypt_in_place(engine_boots, engine_time, salt_counter, plaintext)
    }

    /// Like [`Self::encrypt`] on a buffer the caller has already padded to
    /// [`PrivProtocol::ciphertext_len`] (for encoders that write into a fixed buffer).
    pub fn encrypt_in_place(
        &self,
        engine_boots: u32,
        engine_time: u32,
        salt_counter: u64,
        buf: &mut [u8],
    ) -> Result<[u8; PRIV_PARAMS_LEN], CryptoError> {
        let salt = self.salt(engine_boots, salt_counter);
        match &self.cipher {
            CipherState::Des(c) => {
                check_blocks(buf.len())?;
                cbc_encrypt(c, xor8(self.pre_iv, salt), buf);
            }
            CipherState::Tdes(c) => {
                check_blocks(buf.len())?;
                cbc_encrypt(c, xor8(self.pre_iv, salt), buf);
            }
            CipherState::Aes128(c) => cfb_mode::Encryptor::inner_iv_init(
                c.clone(),
                &Array::from(aes_iv(engine_boots, engine_time, salt)),
            )
            .encrypt(buf),
            CipherState::Aes192(c) => cfb_mode::Encryptor::inner_iv_init(
                c.clone(),
                &Array::from(aes_iv(engine_boots, engine_time, salt)),
            )
            .encrypt(buf),
            CipherState::Aes256(c) => cfb_mode::Encryptor::inner_iv_init(
                c.clone(),
                &Array::from(aes_iv(engine_boots, engine_time, salt)),
            )
            .encrypt(buf),
        }
        Ok(salt)
    }

    /// Decrypts an encryptedPDU in place. `priv_params` is the received
    /// msgPrivacyParameters (must be 8 bytes); `engine_boots`/`engine_time` are the
    /// values carried in the same message. DES/3DES padding is left in place.
    ///
    /// A wrong key is not detected here (the result is garbage the BER decoder
    /// rejects); errors are only for malformed lengths.
    pub fn decrypt(
        &self,
        engine_boots: u32,
        engine_time: u32,
        priv_params: &[u8],
        ciphertext: &mut [u8],
    ) -> Result<(), CryptoError> {
        let salt = <[u8; 8]>::try_from(priv_params).map_err(|_| CryptoError::PrivParamsLength {
            len: priv_params.len(),
        })?;
        match &self.cipher {
            CipherState::Des(c) => {
                check_blocks(ciphertext.len())?;
                cbc_decrypt(c, xor8(self.pre_iv, salt), ciphertext);
            }
            CipherState::Tdes(c) => {
                check_blocks(ciphertext.len())?;
                cbc_decrypt(c, xor8(self.pre_iv, salt), ciphertext);
            }
            CipherState::Aes128(c) => cfb_mode::Decryptor::inner_iv_init(
                c.clone(),
                &Array::from(aes_iv(engine_boots, engine_time, salt)),
            )
            .decrypt(ciphertext),
            CipherState::Aes192(c) => cfb_mode::Decryptor::inner_iv_init(
                c.clone(),
                &Array::from(aes_iv(engine_boots, engine_time, salt)),
            )
            .decrypt(ciphertext),
            CipherState::Aes256(c) => cfb_mode::Decryptor::inner_iv_init(
                c.clone(),
                &Array::from(aes_iv(engine_boots, engine_time, salt)),
            )
            .decrypt(ciphertext),
        }
        Ok(())
    }
}

fn check_blocks(len: usize) -> Result<(), CryptoError> {
    if len.is_multiple_of(DES_BLOCK) {
        Ok(())
    } else {
        Err(CryptoError::CiphertextLength {
            len,
            block: DES_BLOCK,
        })
    }
}

impl Drop for Privacy {
    fn drop(&mut self) {
        // The cipher states zeroize themselves (the crates' `zeroize` features).
        self.pre_iv.zeroize();
    }
}

impl fmt::Debug for Privacy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Privacy")
            .field("protocol", &self.proto)
            .finish_non_exhaustive()
    }
}

/// Encrypts `plaintext` in place with a one-off [`Privacy`] (expands the key schedule
/// per call: keep a [`Privacy`] on hot paths). Returns msgPrivacyParameters.
pub fn encrypt(
    proto: PrivProtocol,
    priv_key: &Key,
    engine_boots: u32,
    engine_time: u32,
    salt_counter: u64,
    plaintext: &mut Vec<u8>,
) -> Result<[u8; PRIV_PARAMS_LEN], CryptoError> {
    Privacy::new(proto, priv_key)?.encrypt(engine_boots, engine_time, salt_counter, plaintext)
}

/// Decrypts `ciphertext` in place with a one-off [`Privacy`].
pub fn decrypt(
    proto: PrivProtocol,
    priv_key: &Key,
    engine_boots: u32,
    engine_time: u32,
    priv_params: &[u8],
    ciphertext: &mut [u8],
) -> Result<(), CryptoError> {
    Privacy::new(proto, priv_key)?.decrypt(engine_boots, engine_time, priv_params, ciphertext)
}
