package dev.tessera.app.cli;

import dev.tessera.tensor.Backends;
import dev.tessera.tensor.Device;

/**
 * Resolves a {@code --device auto|cpu|cuda|cuda:N} option. {@code auto} takes the first CUDA device
 * when the CUDA backend is usable and the CPU otherwise; an explicit CUDA device that cannot be used
 * fails with the backend's reason (for example that {@code libcuda.so.1}, the NVIDIA driver, was
 * not found), so a run never silently falls back to the CPU when a GPU was asked for.
 *
 * @param device the device to run on
 * @param note   one line for the log: the device and, for {@code auto} on the CPU, why CUDA was not taken
 */
public record DeviceOption(Device device, String note) {
    /** Resolves {@code value}; throws {@link IllegalArgumentException} naming the option when it is malformed or unusable. */
    public static DeviceOption resolve(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(java.util.Locale.ROOT);
        if (v.equals("auto")) {
            String why = cudaProblem(Device.cuda(0));
            return why == null ? new DeviceOption(Device.cuda(0), "device cuda:0 (auto)")
                    : new DeviceOption(Device.cpu(), "device cpu (auto; CUDA not used: " + why + ")");
        }
        Device d;
        try {
            d = Device.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--device: expected auto, cpu, cuda or cuda:N, got '" + value + "'");
        }
        if (d.kind() == Device.Kind.CUDA) {
            String why = cudaProblem(d);
            if (why != null) throw new IllegalArgumentException("--device " + value + ": " + why);
        }
        return new DeviceOption(d, "device " + d);
    }

    /** Why {@code d} cannot be used, or null when its backend loads. */
    private static String cudaProblem(Device d) {
        try {
            Backends.of(d);
            return null;
        } catch (RuntimeException | LinkageError e) {
            String msg = e.getMessage();
            return msg == null || msg.isBlank() ? e.getClass().getSimpleName() : msg;
        }
    }
}
