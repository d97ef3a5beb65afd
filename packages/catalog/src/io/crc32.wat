;; CRC-32 by slicing-by-16 over little-endian 32-bit words, for HDFS block checksums
;; (packages/catalog/src/io/crc32.ts). Memory: the caller writes the 16 tables of 256 u32
;; entries (16 KiB) of its polynomial at address 0, and the bytes to check after them; no imports,
;; no growth from inside. Each lookup is 3 instructions: a shift and a mask give the byte times 4
;; (the table entry's offset), and the load adds the table's address as its immediate offset. Compiled to crc32-wasm.ts by `pnpm --filter @lake/catalog gen:crc32`.
(module
  (memory (export "memory") 2)

  ;; The CRC of memory[p, end), continuing from `crc` (0 for none).
  (func $crc (export "crc") (param $crc i32) (param $p i32) (param $end i32) (result i32)
    (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    local.get $crc
    i32.const -1
    i32.xor
    local.set $crc
    block $words
      loop $sixteen
        ;; while p + 16 <= end
        local.get $p
        i32.const 16
        i32.add
        local.get $end
        i32.gt_u
        br_if $words
        local.get $p
        i32.load
        local.get $crc
        i32.xor
        local.set $w0
        local.get $p
        i32.load offset=4
        local.set $w1
        local.get $p
        i32.load offset=8
        local.set $w2
        local.get $p
        i32.load offset=12
        local.set $w3
        ;; table 15, byte 0 of word 0
        local.get $w0
        i32.const 2
        i32.shl
        i32.const 1020
        i32.and
        i32.load offset=15360
        ;; table 14, byte 1 of word 0
        local.get $w0
        i32.const 6
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=14336
        i32.xor
        ;; table 13, byte 2 of word 0
        local.get $w0
        i32.const 14
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=13312
        i32.xor
        ;; table 12, byte 3 of word 0
        local.get $w0
        i32.const 22
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=12288
        i32.xor
        ;; table 11, byte 0 of word 1
        local.get $w1
        i32.const 2
        i32.shl
        i32.const 1020
        i32.and
        i32.load offset=11264
        i32.xor
        ;; table 10, byte 1 of word 1
        local.get $w1
        i32.const 6
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=10240
        i32.xor
        ;; table 9, byte 2 of word 1
        local.get $w1
        i32.const 14
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=9216
        i32.xor
        ;; table 8, byte 3 of word 1
        local.get $w1
        i32.const 22
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=8192
        i32.xor
        ;; table 7, byte 0 of word 2
        local.get $w2
        i32.const 2
        i32.shl
        i32.const 1020
        i32.and
        i32.load offset=7168
        i32.xor
        ;; table 6, byte 1 of word 2
        local.get $w2
        i32.const 6
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=6144
        i32.xor
        ;; table 5, byte 2 of word 2
        local.get $w2
        i32.const 14
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=5120
        i32.xor
        ;; table 4, byte 3 of word 2
        local.get $w2
        i32.const 22
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=4096
        i32.xor
        ;; table 3, byte 0 of word 3
        local.get $w3
        i32.const 2
        i32.shl
        i32.const 1020
        i32.and
        i32.load offset=3072
        i32.xor
        ;; table 2, byte 1 of word 3
        local.get $w3
        i32.const 6
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=2048
        i32.xor
        ;; table 1, byte 2 of word 3
        local.get $w3
        i32.const 14
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=1024
        i32.xor
        ;; table 0, byte 3 of word 3
        local.get $w3
        i32.const 22
        i32.shr_u
        i32.const 1020
        i32.and
        i32.load offset=0
        i32.xor
        local.set $crc
        local.get $p
        i32.const 16
        i32.add
        local.set $p
        br $sixteen
      end
    end
    block $bytes
      loop $one
        local.get $p
        local.get $end
        i32.ge_u
        br_if $bytes
        ;; crc = table0[(crc ^ byte) & 255] ^ (crc >>> 8)
        local.get $crc
        local.get $p
        i32.load8_u
        i32.xor
        i32.const 2
        i32.shl
        i32.const 1020
        i32.and
        i32.load
        local.get $crc
        i32.const 8
        i32.shr_u
        i32.xor
        local.set $crc
        local.get $p
        i32.const 1
        i32.add
        local.set $p
        br $one
      end
    end
    local.get $crc
    i32.const -1
    i32.xor)

  ;; Checks memory[p, end) against big-endian CRCs at `sums`, one per `per` bytes (the last
  ;; piece may be shorter). Returns the index of the first piece that differs, or -1.
  (func (export "verify") (param $p i32) (param $end i32) (param $per i32) (param $sums i32) (result i32)
    (local $i i32) (local $stop i32) (local $want i32)
    block $done
      loop $piece
        local.get $p
        local.get $end
        i32.ge_u
        br_if $done
        ;; stop = min(end, p + per)
        local.get $end
        local.get $p
        local.get $per
        i32.add
        local.tee $stop
        local.get $end
        local.get $stop
        i32.lt_u
        select
        local.set $stop
        ;; want = the big-endian u32 at sums + 4i, byte-swapped
        local.get $sums
        local.get $i
        i32.const 2
        i32.shl
        i32.add
        i32.load
        local.set $want
        local.get $want
        i32.const 24
        i32.shl
        local.get $want
        i32.const 24
        i32.shr_u
        i32.or
        local.get $want
        i32.const 0xff00
        i32.and
        i32.const 8
        i32.shl
        i32.or
        local.get $want
        i32.const 8
        i32.shr_u
        i32.const 0xff00
        i32.and
        i32.or
        local.set $want
        i32.const 0
        local.get $p
        local.get $stop
        call $crc
        local.get $want
        i32.ne
        if
          local.get $i
          return
        end
        local.get $i
        i32.const 1
        i32.add
        local.set $i
        local.get $stop
        local.set $p
        br $piece
      end
    end
    i32.const -1))
