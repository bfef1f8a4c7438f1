//! The process group of a command leakgate runs, on every platform: the
//! command and whatever it starts (`go test` and its test binaries) end
//! together on a timeout, an interrupt, or when the command exits and
//! leaves children behind.
//!
//! - Unix: the command leads a new process group; the group gets SIGTERM,
//!   then SIGKILL.
//! - Windows: the command is in a new console process group and a job
//!   object; ending the job ends every process in it (Windows has no
//!   SIGTERM for console programs, so both steps terminate).

use std::process::{Child, Command};

/// Makes the command start its own group.
pub fn prepare(cmd: &mut Command) {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    #[cfg(windows)]
    {
        use std::os::windows::process::CommandExt;
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        cmd.creation_flags(CREATE_NEW_PROCESS_GROUP);
    }
}

/// A started command's group.
pub struct Group {
    #[cfg(unix)]
    pid: rustix::process::Pid,
    #[cfg(windows)]
    process: windows::Handle,
    #[cfg(windows)]
    job: windows::Handle,
}

impl Group {
    /// The group of a child started after [`prepare`].
    pub fn of(child: &Child) -> Option<Group> {
        #[cfg(unix)]
        {
            let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).ok()?)?;
            Some(Group { pid })
        }
        #[cfg(windows)]
        {
            windows::group(child)
        }
    }

    /// Whether the command (the group's leader) has exited, without
    /// reaping it.
    pub fn exited(&self) -> bool {
        #[cfg(unix)]
        {
            use rustix::process::{waitid, WaitId, WaitIdOptions};
            match waitid(
                WaitId::Pid(self.pid),
                WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT,
            ) {
                Ok(Some(_)) => true,
                Ok(None) => false,
                // ECHILD: already reaped or not ours; nothing to wait for.
                Err(_) => true,
            }
        }
        #[cfg(windows)]
        {
            windows::exited(&self.process)
        }
    }

    /// Asks every process of the group to end.
    pub fn terminate(&self) {
        #[cfg(unix)]
        {
            // ESRCH (the group is already empty) is the usual, fine answer.
            let _ = rustix::process::kill_process_group(self.pid, rustix::process::Signal::TERM);
        }
        #[cfg(windows)]
        {
            windows::terminate(&self.job);
        }
    }

    /// Ends every process of the group.
    pub fn kill(&self) {
        #[cfg(unix)]
        {
            let _ = rustix::process::kill_process_group(self.pid, rustix::process::Signal::KILL);
        }
        #[cfg(windows)]
        {
            windows::terminate(&self.job);
        }
    }
}

/// Whether a process with this id is running (an id that cannot be one
/// counts as running: nothing is removed on a guess).
pub fn alive(pid: i32) -> bool {
    #[cfg(unix)]
    {
        match rustix::process::Pid::from_raw(pid) {
            Some(p) => !matches!(
                rustix::process::test_kill_process(p),
                Err(e) if e == rustix::io::Errno::SRCH
            ),
            None => true,
        }
    }
    #[cfg(windows)]
    {
        match u32::try_from(pid) {
            Ok(pid) => windows::alive(pid),
            Err(_) => true,
        }
    }
}

#[cfg(windows)]
mod windows {
    use std::os::windows::io::AsRawHandle;
    use std::process::Child;

    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, STILL_ACTIVE, WAIT_OBJECT_0};
    use windows_sys::Win32::System::JobObjects::{
        AssignProcessToJobObject, CreateJobObjectW, TerminateJobObject,
    };
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, WaitForSingleObject, PROCESS_QUERY_LIMITED_INFORMATION,
        PROCESS_SYNCHRONIZE,
    };

    /// An owned handle, closed on drop.
    pub struct Handle(HANDLE);

    // SAFETY: a process or job handle may be used from any thread.
    unsafe impl Send for Handle {}

    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: the handle is owned and open.
            unsafe { CloseHandle(self.0) };
        }
    }

    pub fn group(child: &Child) -> Option<super::Group> {
        // SAFETY: plain Win32 calls on handles this function owns or
        // borrows from `child`, which outlives them.
        unsafe {
            let process = OpenProcess(
                PROCESS_SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
                0,
                child.id(),
            );
            if process.is_null() {
                return None;
            }
            let process = Handle(process);
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return None;
            }
            let job = Handle(job);
            if AssignProcessToJobObject(job.0, child.as_raw_handle() as HANDLE) == 0 {
                return None;
            }
            Some(super::Group { process, job })
        }
    }

    pub fn exited(process: &Handle) -> bool {
        // SAFETY: the handle is open.
        unsafe { WaitForSingleObject(process.0, 0) == WAIT_OBJECT_0 }
    }

    pub fn terminate(job: &Handle) {
        // SAFETY: the handle is open.
        unsafe { TerminateJobObject(job.0, 1) };
    }

    pub fn alive(pid: u32) -> bool {
        // SAFETY: the handle is checked and closed by `Handle`.
        unsafe {
            let h = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
            if h.is_null() {
                return false;
            }
            let h = Handle(h);
            let mut code = 0u32;
            GetExitCodeProcess(h.0, &mut code) == 0 || code == STILL_ACTIVE as u32
        }
    }
}
