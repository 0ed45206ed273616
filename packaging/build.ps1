# Build the GrokDesk double-click app on Windows, from a clean checkout, in one command:
#
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1            one folder: dist\GrokDesk\GrokDesk.exe
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1 -OneFile   one file:   dist\GrokDesk-onefile.exe
#   powershell -ExecutionPolicy Bypass -File packaging\build.ps1 -Console   keep a console window (debugging)
#
# Creates build\venv with the app and its `package` extra (PyInstaller), then runs
# packaging\grokdesk.spec (icon and version resource come from the spec).
# -Python selects the interpreter for the venv (default: the py launcher's 3.11+).
# -SkipInstall reuses build\venv as it is.
[CmdletBinding()]
param(
    [switch]$OneFile,
    [switch]$Console,
    [switch]$SkipInstall,
    [string]$Python = ""
)
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot "..")).Path
Set-Location $Root
$Venv = Join-Path $Root "build\venv"
$Py = Join-Path $Venv "Scripts\python.exe"
$Clock = [System.Diagnostics.Stopwatch]::StartNew()

function Invoke-Checked {
    param([string]$Exe, [string[]]$Arguments)
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

if (-not $SkipInstall -or -not (Test-Path $Py)) {
    if (-not (Test-Path $Py)) {
        if ($Python) { Invoke-Checked $Python @("-m", "venv", $Venv) }
        else { Invoke-Checked "py" @("-3", "-m", "venv", $Venv) }
    }
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "--disable-pip-version-check", "--upgrade", "pip")
    # A regular (not editable) install: PyInstaller sees grokdesk.resources as users' site-packages do.
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "--disable-pip-version-check", ".[package]")
    Invoke-Checked $Py @("-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--force-reinstall", ".")
}
$Installed = $Clock.Elapsed.TotalSeconds

if ($Console) { $env:GROKDESK_CONSOLE = "1" }
$SpecArgs = @()
if ($OneFile) { $SpecArgs = @("--", "--onefile") }
# Run from build\ with -P (no current folder on sys.path): the analysis must import the installed
# grokdesk (which has grokdesk.resources), not the source tree's.
Push-Location (Join-Path $Root "build")
try {
    Invoke-Checked $Py (@("-P", "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
        "--distpath", (Join-Path $Root "dist"), "--workpath", (Join-Path $Root "build\pyinstaller"),
        (Join-Path $Root "packaging\grokdesk.spec")) + $SpecArgs)
} finally {
    Pop-Location
    Remove-Item Env:GROKDESK_CONSOLE -ErrorAction SilentlyContinue
}
$Built = $Clock.Elapsed.TotalSeconds

if ($OneFile) { $Out = Join-Path $Root "dist\GrokDesk-onefile.exe" } else { $Out = Join-Path $Root "dist\GrokDesk" }
$Files = @(Get-ChildItem -Path $Out -Recurse -File)
$SizeMB = [math]::Round((($Files | Measure-Object -Property Length -Sum).Sum) / 1MB, 1)
Write-Host ("built {0}: {1} MB in {2} files; install {3:N0} s, PyInstaller {4:N0} s" -f `
    $Out, $SizeMB, $Files.Count, $Installed, ($Built - $Installed))
