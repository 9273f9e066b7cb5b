/*
 * rzc-zygote: the fork server of ray-zerocopy's worker JVMs (see ZygoteLauncher.java, which
 * compiles this file with the machine's C compiler on first use).
 *
 * It loads libtorch and libjvm once, then forks one child per request; each child creates its
 * JVM through the JNI invocation API and runs the worker's main class. Loading libtorch costs
 * every process ~270 ms of relocations and static initialisers and ~50 MB of memory it keeps;
 * done once here, the children share those pages copy-on-write, and DJL's later System.load of
 * the same paths finds the libraries loaded.
 *
 *   rzc-zygote LIBRARY...          libraries to load first, in dependency order, libjvm.so among
 *                                  them
 *
 * Requests come on stdin, one per line; answers and events go to stdout, one per line:
 *
 *   spawn ID OPTIONS OUTPUT  ->    pid ID PID | error ID MESSAGE
 *   (a child exits)          ->    exit PID STATUS    (its exit code, or 128 + the signal)
 *
 * OPTIONS is a file of JVM options, one per line, then "main=CLASS" (binary name with slashes)
 * and "arg=VALUE" lines. OUTPUT is a Unix domain socket the driver listens on: the child's stdout
 * and stderr. The zygote exits when its stdin closes (the driver ended); its children then
 * notice that their parent is gone and exit.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

typedef jint (*create_vm_fn)(JavaVM **, void **, void *);

static create_vm_fn create_vm;
static int child_pipe[2];

#define MAX_OPTIONS 1024
#define MAX_ARGS 64

static char *options[MAX_OPTIONS];
static int option_count;
static char *main_class;
static char *args[MAX_ARGS];
static int arg_count;

static void on_child(int sig) {
    (void)sig;
    int saved = errno;
    if (write(child_pipe[1], "c", 1) < 0) {
        /* the loop drains children on its next wake-up anyway */
    }
    errno = saved;
}

static int read_options(const char *path) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    char *line = NULL;
    size_t size = 0;
    ssize_t n;
    while ((n = getline(&line, &size, f)) > 0) {
        if (line[n - 1] == '\n') {
            line[--n] = 0;
        }
        if (n == 0) {
            continue;
        }
        if (strncmp(line, "main=", 5) == 0) {
            main_class = strdup(line + 5);
        } else if (strncmp(line, "arg=", 4) == 0) {
            if (arg_count < MAX_ARGS) {
                args[arg_count++] = strdup(line + 4);
            }
        } else if (option_count < MAX_OPTIONS) {
            options[option_count++] = strdup(line);
        }
    }
    free(line);
    fclose(f);
    return main_class == NULL ? -1 : 0;
}

/* The child's JVM runs on a thread of its own, with a main thread's stack size. */
static void *run_jvm(void *unused) {
    (void)unused;
    JavaVMOption vm_options[MAX_OPTIONS];
    for (int i = 0; i < option_count; i++) {
        vm_options[i].optionString = options[i];
        vm_options[i].extraInfo = NULL;
    }
    JavaVMInitArgs init = {JNI_VERSION_10, option_count, vm_options, JNI_FALSE};
    JavaVM *jvm;
    JNIEnv *env;
    if (create_vm(&jvm, (void **)&env, &init) != JNI_OK) {
        fprintf(stderr, "rzc-zygote: JNI_CreateJavaVM failed\n");
        _exit(1);
    }
    jclass cls = (*env)->FindClass(env, main_class);
    jmethodID main_method =
            cls == NULL ? NULL
                        : (*env)->GetStaticMethodID(env, cls, "main", "([Ljava/lang/String;)V");
    if (main_method == NULL) {
        (*env)->ExceptionDescribe(env);
        _exit(1);
    }
    jclass string = (*env)->FindClass(env, "java/lang/String");
    jobjectArray jargs = (*env)->NewObjectArray(env, arg_count, string, NULL);
    for (int i = 0; i < arg_count; i++) {
        (*env)->SetObjectArrayElement(env, jargs, i, (*env)->NewStringUTF(env, args[i]));
    }
    (*env)->CallStaticVoidMethod(env, cls, main_method, jargs);
    int code = 0;
    if ((*env)->ExceptionCheck(env)) {
        (*env)->ExceptionDescribe(env);
        code = 1;
    }
    (*jvm)->DetachCurrentThread(jvm);
    (*jvm)->DestroyJavaVM(jvm);
    _exit(code);
    return NULL;
}

static int connect_output(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(address.sun_path)) {
        return -1;
    }
    strcpy(address.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
        return -1;
    }
    return fd;
}

/* In the child: stdio to the driver, then the JVM. Never returns. */
static void become_worker(const char *options_path, const char *output_path) {
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close(child_pipe[0]);
    close(child_pipe[1]);
    int null = open("/dev/null", O_RDONLY);
    int output = connect_output(output_path);
    if (null < 0 || output < 0) {
        /* Still the fork server's stderr here, which the driver forwards. */
        fprintf(stderr, "rzc-zygote: worker %d cannot connect its output %s: %s\n",
                (int) getpid(), output_path, strerror(errno));
        _exit(1);
    }
    dup2(null, 0);
    dup2(output, 1);
    dup2(output, 2);
    close(null);
    close(output);
    if (read_options(options_path) != 0) {
        fprintf(stderr, "rzc-zygote: cannot read %s\n", options_path);
        _exit(1);
    }
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setstacksize(&attributes, 8 << 20);
    pthread_t thread;
    int failed = pthread_create(&thread, &attributes, run_jvm, NULL);
    if (failed != 0) {
        fprintf(stderr, "rzc-zygote: cannot start the JVM's thread: %s\n", strerror(failed));
        _exit(1);
    }
    pthread_join(thread, NULL);
    _exit(0);
}

static void spawn(char *line) {
    char *id = strtok(line + 6, " ");
    char *options_path = strtok(NULL, " ");
    char *output_path = strtok(NULL, " ");
    if (id == NULL || options_path == NULL || output_path == NULL) {
        printf("error %s malformed request\n", id == NULL ? "?" : id);
        fflush(stdout);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        become_worker(options_path, output_path);
    }
    if (pid < 0) {
        printf("error %s fork: %s\n", id, strerror(errno));
    } else {
        printf("pid %s %d\n", id, (int)pid);
    }
    fflush(stdout);
}

static void report_exits(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        printf("exit %d %d\n", (int)pid, code);
    }
    fflush(stdout);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        void *library = dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL);
        if (library == NULL) {
            fprintf(stderr, "rzc-zygote: %s\n", dlerror());
            return 2;
        }
        if (create_vm == NULL) {
            create_vm = (create_vm_fn)dlsym(library, "JNI_CreateJavaVM");
        }
    }
    if (create_vm == NULL) {
        fprintf(stderr, "rzc-zygote: no libjvm.so among the libraries\n");
        return 2;
    }
    if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        return 2;
    }
    struct sigaction action = {.sa_handler = on_child, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&action.sa_mask);
    sigaction(SIGCHLD, &action, NULL);
    printf("ready\n");
    fflush(stdout);
    char request[8192];
    size_t filled = 0;
    struct pollfd watched[2] = {{.fd = 0, .events = POLLIN}, {.fd = child_pipe[0], .events = POLLIN}};
    for (;;) {
        if (poll(watched, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 2;
        }
        if (watched[1].revents & POLLIN) {
            char drain[64];
            while (read(child_pipe[0], drain, sizeof(drain)) > 0) {
            }
            report_exits();
        }
        if (watched[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, request + filled, sizeof(request) - 1 - filled);
            if (n <= 0) {
                return 0;
            }
            filled += (size_t)n;
            request[filled] = 0;
            char *end;
            while ((end = strchr(request, '\n')) != NULL) {
                *end = 0;
                if (strncmp(request, "spawn ", 6) == 0) {
                    spawn(request);
                }
                size_t used = (size_t)(end - request) + 1;
                memmove(request, end + 1, filled - used + 1);
                filled -= used;
            }
            if (filled == sizeof(request) - 1) {
                filled = 0;
            }
        }
    }
}
