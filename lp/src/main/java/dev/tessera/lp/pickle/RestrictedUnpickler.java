package dev.tessera.lp.pickle;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Pyrolite's unpickler restricted to what the course's m-height pickles need: plain Python values
 * plus numeric NumPy arrays ({@code numpy.core.multiarray._reconstruct} / {@code numpy._core...},
 * {@code numpy.ndarray}, {@code numpy.dtype}, NumPy scalars, {@code _frombuffer} for protocol 5,
 * and {@code _codecs.encode} for protocol-2 byte strings). Any other global, and every opcode that
 * would instantiate an arbitrary class ({@code INST}, {@code OBJ}, {@code NEWOBJ}, extension codes,
 * persistent ids), is an error: nothing named by the file is ever looked up or executed.
 */
final class RestrictedUnpickler extends Unpickler {
    private static final Object NDARRAY_CLASS = new Object() {
        @Override
        public String toString() {
            return "numpy.ndarray";
        }
    };

    /** Partially built ndarray: {@code _reconstruct(ndarray, (0,), b'b')} then {@code BUILD} with the state. */
    public static final class ArrayBuilder {
        private NdArray array;

        /** Created by the unpickler for each {@code numpy.core.multiarray._reconstruct} call. */
        ArrayBuilder() {}

        /** NumPy's ndarray state {@code (version, shape, dtype, is_fortran, rawdata)}. */
        public void __setstate__(Object[] state) {
            if (state.length != 5) throw new IllegalArgumentException("pickle: ndarray state has " + state.length + " fields, expected 5");
            int[] shape = shape(state[1]);
            if (!(state[2] instanceof NumpyDType dtype)) throw new IllegalArgumentException("pickle: ndarray state has no numeric dtype");
            boolean fortran = Boolean.TRUE.equals(state[3]);
            if (!(state[4] instanceof byte[] raw)) {
                throw new IllegalArgumentException("pickle: ndarray data must be raw bytes (object arrays are not supported)");
            }
            array = NdArray.decode(shape, dtype, raw, fortran);
        }

        NdArray array() {
            if (array == null) throw new IllegalArgumentException("pickle: ndarray was reconstructed but never given its state");
            return array;
        }
    }

    private static final IObjectConstructor RECONSTRUCT = args -> {
        if (args.length != 3 || args[0] != NDARRAY_CLASS) throw new PickleException("pickle: _reconstruct supports numpy.ndarray only");
        return new ArrayBuilder();
    };
    private static final IObjectConstructor DTYPE = args -> {
        if (args.length < 1 || !(args[0] instanceof String code)) throw new PickleException("pickle: malformed numpy.dtype call");
        return new NumpyDType(code);
    };
    private static final IObjectConstructor SCALAR = args -> {
        if (args.length != 2 || !(args[0] instanceof NumpyDType dt)) throw new PickleException("pickle: malformed numpy scalar");
        byte[] raw = args[1] instanceof byte[] b ? b : args[1] instanceof String s ? s.getBytes(StandardCharsets.ISO_8859_1) : null;
        if (raw == null) throw new PickleException("pickle: numpy scalar without raw bytes");
        return NdArray.decode(new int[0], dt, raw, false).values()[0];
    };
    private static final IObjectConstructor FROMBUFFER = args -> {
        if (args.length != 4 || !(args[0] instanceof byte[] raw) || !(args[1] instanceof NumpyDType dt)) {
            throw new PickleException("pickle: malformed numpy _frombuffer call");
        }
        return NdArray.decode(shape(args[2]), dt, raw, "F".equals(args[3]));
    };
    private static final IObjectConstructor CODECS_ENCODE = args -> {
        if (args.length != 2 || !(args[0] instanceof String s) || !"latin1".equals(args[1])) {
            throw new PickleException("pickle: _codecs.encode supports (str, 'latin1') only");
        }
        return s.getBytes(StandardCharsets.ISO_8859_1);
    };

    private static final Map<String, Object> ALLOWED = Map.ofEntries(
            Map.entry("numpy.core.multiarray._reconstruct", RECONSTRUCT),
            Map.entry("numpy._core.multiarray._reconstruct", RECONSTRUCT),
            Map.entry("numpy.ndarray", NDARRAY_CLASS),
            Map.entry("numpy.dtype", DTYPE),
            Map.entry("numpy.core.multiarray.scalar", SCALAR),
            Map.entry("numpy._core.multiarray.scalar", SCALAR),
            Map.entry("numpy.core.numeric._frombuffer", FROMBUFFER),
            Map.entry("numpy._core.numeric._frombuffer", FROMBUFFER),
            Map.entry("_codecs.encode", CODECS_ENCODE));

    /** A fresh unpickler (one per file; not thread-safe). */
    public RestrictedUnpickler() {
    }

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        if (key == Opcodes.GLOBAL) {
            String module = PickleUtils.readline(input);
            String name = PickleUtils.readline(input);
            stack.add(resolve(module, name));
            return NO_RETURN_VALUE;
        }
        if (key == Opcodes.STACK_GLOBAL) {
            Object name = stack.pop();
            Object module = stack.pop();
            if (!(name instanceof String n) || !(module instanceof String m)) throw new PickleException("pickle: STACK_GLOBAL without strings");
            stack.add(resolve(m, n));
            return NO_RETURN_VALUE;
        }
        if (key == Opcodes.INST || key == Opcodes.OBJ || key == Opcodes.NEWOBJ || key == Opcodes.NEWOBJ_EX || key == Opcodes.EXT1
                || key == Opcodes.EXT2 || key == Opcodes.EXT4 || key == Opcodes.PERSID || key == Opcodes.BINPERSID) {
            throw new PickleException("pickle: opcode 0x" + Integer.toHexString(key) + " (object construction) is not allowed in m-height files");
        }
        return super.dispatch(key);
    }

    private static Object resolve(String module, String name) {
        Object c = ALLOWED.get(module + "." + name);
        if (c == null) {
            throw new PickleException("pickle: global '" + module + "." + name + "' is not allowed (allowed: " + ALLOWED.keySet().stream().sorted().toList() + ")");
        }
        return c;
    }

    /** Replaces partially built arrays by their {@link NdArray}. */
    static Object finish(Object o) {
        if (o instanceof ArrayBuilder b) return b.array();
        return o;
    }

    static int[] shape(Object o) {
        List<?> l;
        if (o instanceof Object[] arr) l = List.of(arr);
        else if (o instanceof List<?> list) l = list;
        else if (o instanceof Number num) l = List.of(num);
        else throw new IllegalArgumentException("pickle: ndarray shape is not a tuple: " + o);
        int[] s = new int[l.size()];
        for (int i = 0; i < s.length; i++) {
            if (!(l.get(i) instanceof Number num)) throw new IllegalArgumentException("pickle: ndarray shape holds " + l.get(i));
            s[i] = Math.toIntExact(num.longValue());
        }
        return s;
    }
}
