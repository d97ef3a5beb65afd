// Compiles the text of crc32.wat with wabt; shared by the generator and the drift test.
import wabtInit from 'wabt'

/** @param {string} text @returns {Promise<Uint8Array>} */
export async function compileCrc32Wat(text) {
  const wabt = await wabtInit()
  const module = wabt.parseWat('crc32.wat', text)
  try {
    module.validate()
    return module.toBinary({}).buffer
  } finally {
    module.destroy()
  }
}
